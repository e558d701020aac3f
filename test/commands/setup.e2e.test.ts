// `keyrot setup` through the built CLI against the emulator: on a pseudo-terminal with answers typed
// (bad ones first), without a terminal (it only says what it would do), with --yes and --json, and
// with bad flags (nothing written). The config file it writes must keep every existing byte and read
// back as the chosen profiles; nothing it prints may hold a secret.
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupCommand } from '../../src/commands/setup.js';
import { parseSettings } from '../../src/config/load-settings.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { ExitCode } from '../../src/errors/keyrot-error.js';
import type { CommandRunner } from '../../src/service/runner.js';
import { runOnPty } from '../support/pty.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH } from '../support/run-cli.js';
import { createWorld, profileBlock, type World } from '../support/world.js';
import { expectNoSecretLeft } from './harness.js';

const suite = describeWith('secretService', 'pty', 'builtCli');

suite('keyrot setup', { concurrent: true }, () => {
  let emulator: RunningEmulator;
  const worlds: World[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await expectNoSecretLeft(worlds, secrets);
    await emulator?.close();
  });

  /** A world with a 120-day-old key in p, a 30-day-old one in q, a rejected key, a session and an SSO profile. */
  async function world(): Promise<World & { configIni: string; pUser: string }> {
    const w = await createWorld({ label: 'e2e', emulator });
    worlds.push(w);
    const pUser = `p-${worlds.length}`;
    const p = await w.seed(pUser, { keyAgeDays: 120 });
    const q = await w.seed(`q-${worlds.length}`, { keyAgeDays: 30 });
    for (const user of [p, q]) secrets.push(user.keys[0]!.secretAccessKey);
    await w.writeCredentials(
      `${profileBlock('p', p.keys[0]!)}\n${profileBlock('q', q.keys[0]!)}\n` +
        '[broken]\naws_access_key_id = AKIAIOSFODNN7BROKEN1\naws_secret_access_key = not-the-secret\n\n' +
        '[tmp]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\naws_session_token = t\n',
    );
    await writeFile(w.configFile, '[profile sso-dev]\nsso_session = corp\nsso_account_id = 1\n');
    return Object.assign(w, { configIni: w.keyrotConfigFile, pUser });
  }

  it('on a terminal: lists every profile, re-asks after bad answers, writes 0600 in 0700, dry-runs', async () => {
    const w = await world();
    const result = await runOnPty([process.execPath, CLI_PATH, 'setup'], {
      env: w.env,
      answers: [
        { after: 'Watch which profiles?', type: 'nosuch' },
        { after: 'Watch which profiles?', type: 'tmp' },
        { after: 'Watch which profiles?', type: '1' },
        { after: 'how many days old?', type: 'ninety' },
        { after: 'how many days old?', type: '60' },
        { after: 'Write this to ~/.config/keyrot/config.ini? [Y/n]', type: '' },
        { after: 'Install the background service', type: 'n' },
        { after: 'Do a first dry run now', type: 'y' },
      ],
    });
    w.captures.push(result.text);
    if (process.env.KEYROT_TEST_SHOW_TRANSCRIPT) process.stderr.write(result.text);
    expect(result.code, result.text).toBe(0);
    const text = result.text;
    // The survey: every profile of both files, with its kind and whether its key works.
    expect(text).toMatch(/1 +p +static key +AKIA…\w{4} +120 d +1 active, 0 inactive +works/);
    expect(text).toMatch(/2 +q +static key +AKIA…\w{4} +30 d .* works/);
    expect(text).toMatch(/3 +broken +static key +AKIA…KEN1 .* fails/);
    expect(text).toMatch(/4 +tmp +session/);
    expect(text).toMatch(/5 +sso-dev +SSO/);
    expect(text).toContain('Enter: p q;');
    expect(text).toContain('profile "nosuch" is in neither AWS file; try again.');
    expect(text).toContain('profile "tmp" cannot be watched: it holds temporary credentials');
    expect(text).toContain(
      'the maximum age must be a whole number of days from 1 to 3650, not "ninety"; try again.',
    );
    expect(text).toContain('p: rotate at 60 days; key 120 days old: due now');
    expect(text).toMatch(/profile p: would create a new key .*\(dry run: nothing changed\)/);
    expect(text).toContain('Done. `keyrot status` shows your keys at any time.');

    const written = await readFile(w.configIni, 'utf8');
    expect(written).toMatch(
      /^# keyrot's settings.*\n# Added by `keyrot setup` on \d{4}-\d\d-\d\d\.\n\[profile p\]\nmax_age_days = 60\n$/,
    );
    expect((await stat(w.configIni)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(w.configIni))).mode & 0o777).toBe(0o700);
    // The dry run changed nothing in IAM.
    expect(emulator.admin.keys(w.pUser)).toHaveLength(1);
  });

  it('without a terminal and without --yes: says what it would do and writes nothing', async () => {
    const w = await world();
    const result = await w.run(['setup']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('keyrot would add to ~/.config/keyrot/config.ini:');
    expect(result.stdout).toContain(
      '  [profile p]\n  max_age_days = 90\n\n  [profile q]\n  max_age_days = 90\n',
    );
    expect(result.stdout).toContain('Nothing changed: not on a terminal, and there is no --yes. To do it:');
    expect(result.stdout).toContain('keyrot setup --profile p --profile q --max-age-days 90 --yes');
    expect(existsSync(path.dirname(w.configIni))).toBe(false);
  });

  it('--yes adds sections to an existing config.ini and keeps every existing byte', async () => {
    const w = await world();
    const before = '; my settings\r\nnotify = false\r\n\r\n[profile q]   ; CI key\r\nmax_age_days = 45';
    await mkdir(path.dirname(w.configIni), { recursive: true });
    await writeFile(w.configIni, before, { mode: 0o600 });
    const result = await w.run([
      'setup',
      '--profile',
      'p',
      '--profile',
      'q',
      '--max-age-days',
      '30',
      '--yes',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const after = await readFile(w.configIni, 'utf8');
    expect(after.startsWith(`${before}\r\n`)).toBe(true);
    expect(after.slice(before.length)).toMatch(
      /^\r\n\r\n# Added by `keyrot setup` on [\d-]+\.\r\n\[profile p\]\r\nmax_age_days = 30\r\n$/,
    );
    const settings = await parseSettings(w.configIni, after, {});
    expect(settings.watch).toEqual(['q', 'p']);
    expect(settings.profile('q').maxAgeDays).toBe(45);
    expect(settings.profile('p').maxAgeDays).toBe(30);
    expect(settings.notify).toBe(false);
    expect(result.stdout).toContain('q: rotate at 45 days; key 30 days old: due in 15 days');
  });

  it('--json: one JSON document, key ids masked, and --yes applies it', async () => {
    const w = await world();
    const preview = await w.run(['setup', '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    const doc = JSON.parse(preview.stdout) as {
      applied: boolean;
      profiles: { profile: string; kind: string; keyId: string | null; works: boolean }[];
      watch: { profile: string; maxAgeDays: number }[];
    };
    expect(doc.applied).toBe(false);
    expect(doc.profiles.map((p) => [p.profile, p.kind, p.works])).toEqual([
      ['p', 'static', true],
      ['q', 'static', true],
      ['broken', 'static', false],
      ['tmp', 'session', false],
      ['sso-dev', 'sso', false],
    ]);
    for (const p of doc.profiles) if (p.keyId) expect(p.keyId).toMatch(/^[A-Z]{4}…\w{4}$/);
    expect(existsSync(w.configIni)).toBe(false);
    const applied = await w.run(['setup', '--json', '--yes', '--profile', 'q']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({
      applied: true,
      watch: [{ profile: 'q', maxAgeDays: 90 }],
    });
    expect(await readFile(w.configIni, 'utf8')).toContain('[profile q]\nmax_age_days = 90\n');
  });

  it('bad input: a clear message, exit 2, and nothing written', async () => {
    const w = await world();
    const cases: [string[], string][] = [
      [['--profile', 'nosuch'], 'profile "nosuch" is in neither AWS file'],
      [['--profile', 'tmp'], 'profile "tmp" cannot be watched: it holds temporary credentials'],
      [['--profile', 'sso-dev'], 'profile "sso-dev" cannot be watched: it signs in with IAM Identity Center'],
      [
        ['--profile', 'p', '--max-age-days', 'ninety'],
        'must be a whole number of days from 1 to 3650, not "ninety"',
      ],
      [['--profile', 'p', '--max-age-days', '5'], 'the maximum age (5 days) must be more than warn_days (7)'],
    ];
    for (const [args, message] of cases) {
      const result = await w.run(['setup', ...args, '--yes']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('othing was written');
    }
    expect(existsSync(path.dirname(w.configIni))).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')(
    '--service installs the service after writing the settings',
    async () => {
      const w = await world();
      const calls: string[] = [];
      const run: CommandRunner = async (command, args) => {
        calls.push([command, ...args].join(' '));
        return { code: 0, stdout: '', stderr: '' };
      };
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      const code = await setupCommand(
        { profile: ['p'], service: true, yes: true },
        {
          globals: { verbose: false },
          io: { stdout, stderr: new PassThrough(), stdin: new PassThrough(), isTTY: false, env: w.env },
        },
        { service: { run } },
      );
      w.captures.push(text);
      expect(code).toBe(0);
      expect(text).toContain('installed keyrot.service');
      expect(calls).toContain('systemctl --user enable --now keyrot.service');
      const unit = await readFile(path.join(w.home, '.config', 'systemd', 'user', 'keyrot.service'), 'utf8');
      expect(unit).toContain('ExecStart=');
      expect(await readFile(w.configIni, 'utf8')).toContain('[profile p]');
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'a service that cannot be installed keeps the written settings, says how to finish, and fails the run',
    async () => {
      const w = await world();
      const run: CommandRunner = async (_command, args) =>
        args.includes('enable')
          ? { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found' }
          : { code: 0, stdout: '', stderr: '' };
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
      });
      const code = await setupCommand(
        { profile: ['p'], service: true, yes: true, json: true },
        {
          globals: { verbose: false },
          io: { stdout, stderr, stdin: new PassThrough(), isTTY: false, env: w.env },
        },
        { service: { run } },
      );
      w.captures.push(out, err);
      expect(code).toBe(ExitCode.failed);
      expect(await readFile(w.configIni, 'utf8')).toContain('[profile p]');
      const document = JSON.parse(out);
      expect(document).toMatchObject({ applied: true, service: { install: true, installed: false } });
      expect(document.service.error.code).toBe('SERVICE_FAILED');
      expect(document.service.error.message).toContain('No medium found');
      expect(err).toContain('your settings are saved in');
      expect(err).toContain('then run `keyrot service install`');
    },
  );
});
