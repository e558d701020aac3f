import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, parseSettings } from '../../src/config/load-settings.js';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import { tempDir } from '../support/cleanup.js';

const FILE = '/cfg/config.ini';

async function configError(text: string): Promise<KeyrotError> {
  try {
    await parseSettings(FILE, text, {});
  } catch (error) {
    expect(error).toBeInstanceOf(KeyrotError);
    expect((error as KeyrotError).code).toBe('CONFIG_INVALID');
    expect((error as KeyrotError).file).toBe(FILE);
    return error as KeyrotError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadSettings', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('config');
  });

  it('without a file watches AWS_PROFILE, else default, with the built-in policy', async () => {
    const env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'none') };
    const plain = await loadSettings({ env });
    expect(plain.file).toBeNull();
    expect(plain.watch).toEqual(['default']);
    expect(plain.notify).toBe(true);
    expect(plain.keychain).toBe('os');
    expect(plain.schedule).toBeUndefined();
    expect(plain.profile('default')).toEqual({
      maxAgeDays: 90,
      warnDays: 7,
      oldKey: 'deactivate',
      otherActiveKey: 'refuse',
      graceDays: 14,
      oldKeyActiveHours: 0,
      oldKeyWaitWhileUsed: false,
    });
    expect((await loadSettings({ env: { ...env, AWS_PROFILE: 'work' } })).watch).toEqual(['work']);
  });

  it('reads the file at XDG_CONFIG_HOME/keyrot/config.ini', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'xdg', 'keyrot'), { recursive: true });
    const file = path.join(dir, 'xdg', 'keyrot', 'config.ini');
    await writeFile(file, 'notify = false\n[profile dev]\nmax_age_days = 30\n');
    const settings = await loadSettings({ env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') } });
    expect(settings.file).toBe(file);
    expect(settings.notify).toBe(false);
    expect(settings.watch).toEqual(['dev']);
    expect(settings.profile('dev').maxAgeDays).toBe(30);
  });

  it('refuses a named file that does not exist', async () => {
    await expect(loadSettings({ path: path.join(dir, 'nope.ini'), env: {} })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    await expect(loadSettings({ env: { KEYROT_CONFIG: path.join(dir, 'nope.ini') } })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
  });
});

describe('parseSettings', () => {
  it('reads global keys, top-level profile defaults and per-profile sections in AWS style', async () => {
    const settings = await parseSettings(
      FILE,
      [
        '\uFEFF; keyrot settings',
        'schedule = 17 */2 * * *',
        'notify = no',
        'keychain = file',
        'backups_keep = 3',
        'log_level = debug',
        'max_age_days = 60   ; every profile',
        '',
        '[profile dev.team]',
        'warn_days = 10',
        'old_key = delete',
        'after_rotate = "systemctl --user restart app; echo done"',
        '',
        '[default]',
        'other_active_key = delete',
        'grace_days = 0',
        '[profile dev.team]',
        'max_age_days = 45',
      ].join('\r\n'),
      { AWS_PROFILE: 'ignored' },
    );
    expect(settings).toMatchObject({
      schedule: '17 */2 * * *',
      notify: false,
      keychain: 'file',
      backupsKeep: 3,
      logLevel: 'debug',
      watch: ['dev.team', 'default'],
    });
    expect(settings.profile('dev.team')).toEqual({
      maxAgeDays: 45,
      warnDays: 10,
      oldKey: 'delete',
      otherActiveKey: 'refuse',
      graceDays: 14,
      oldKeyActiveHours: 0,
      oldKeyWaitWhileUsed: false,
      afterRotate: 'systemctl --user restart app; echo done',
    });
    expect(settings.profile('default')).toMatchObject({
      maxAgeDays: 60,
      otherActiveKey: 'delete',
      graceDays: 0,
    });
    expect(settings.profile('elsewhere')).toMatchObject({ maxAgeDays: 60, warnDays: 7 });
  });

  it('reads the old key grace window settings per profile and refuses hours out of range', async () => {
    const settings = await parseSettings(
      FILE,
      'old_key_active_hours = 4\n[profile dev]\nold_key_wait_while_used = yes\n[profile ci]\nold_key_active_hours = 0\n',
      {},
    );
    expect(settings.profile('dev')).toMatchObject({ oldKeyActiveHours: 4, oldKeyWaitWhileUsed: true });
    expect(settings.profile('ci')).toMatchObject({ oldKeyActiveHours: 0, oldKeyWaitWhileUsed: false });
    const error = await configError('[profile dev]\nold_key_active_hours = 1.5\n');
    expect(error.message).toContain('old_key_active_hours');
    expect(error.line).toBe(2);
  });

  it('names the key, section and line of a bad value', async () => {
    const error = await configError('notify = true\n\n[profile dev]\nmax_age_days = ninety\n');
    expect(error.line).toBe(4);
    expect(error.message).toContain('max_age_days');
    expect(error.message).toContain('[profile dev]');
    expect(error.message).toContain('line 4');
    expect(error.message).toContain('"ninety"');
    expect((await configError('old_key = remove')).message).toMatch(
      /old_key at the top .* line 1 must be "deactivate" or "delete"/,
    );
    expect((await configError('notify = maybe')).line).toBe(1);
    expect((await configError('[default]\nwarn_days = -1')).line).toBe(2);
  });

  it('rejects an unknown key with a did-you-mean hint', async () => {
    const error = await configError('[profile dev]\n# comment\nmax_age = 30\n');
    expect(error.message).toBe('unknown key max_age in [profile dev] at line 3');
    expect(error.line).toBe(3);
    expect(error.hint).toMatch(/^Did you mean max_age_days\?/);
    const typo = await configError('shedule = 0 * * * *');
    expect(typo.hint).toMatch(/^Did you mean schedule\?/);
    const nothingClose = await configError('colour = blue');
    expect(nothingClose.hint).toMatch(/^Known keys here:/);
  });

  it('says where a global key belongs when it is inside a section', async () => {
    const error = await configError('[profile dev]\nschedule = 0 * * * *');
    expect(error.message).toContain('schedule in [profile dev] at line 2 is a global setting');
    expect(error.hint).toContain('above the first section');
  });

  it('rejects unknown sections and lines that are not key = value', async () => {
    const section = await configError('[profiles dev]\nwarn_days = 3');
    expect(section.line).toBe(1);
    expect(section.hint).toContain('Did you mean [profile dev]?');
    expect((await configError('notify = true\njust words\n')).line).toBe(2);
  });

  it('validates the schedule with node-cron and explains what is wrong', async () => {
    const error = await configError('notify = true\nschedule = 61 * * * *');
    expect(error.line).toBe(2);
    expect(error.message).toContain('schedule');
    expect(error.message).toContain('61');
    expect(error.hint).toContain('minute hour day month weekday');
  });

  it('rejects warn_days that leave no room before the due date, pointing at the line', async () => {
    const error = await configError('[profile dev]\nmax_age_days = 30\nwarn_days = 30');
    expect(error.message).toContain('warn_days (30) must be smaller than max_age_days (30) for profile dev');
    expect(error.line).toBe(3);
  });
});
