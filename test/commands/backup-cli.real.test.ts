import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/keychain/backups.js';
import { FILE_BACKEND_WARNING } from '../../src/keychain/file-store.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';

const describeReal = describeWith('secretService');

// CRLF, a BOM, comments and odd spacing: a restore must give back every byte.
const ORIGINAL =
  '\uFEFF# work keys\r\n[default]\r\naws_access_key_id = AKIAORIGINALKEY0001\r\n' +
  'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYORIGINAL01 ; old\r\nregion = eu-west-1\r\n';

const HINT =
  '  Log in to a desktop session, or start and unlock gnome-keyring in this session ' +
  '(`gnome-keyring-daemon --unlock --components=secrets`, then `--start`); or, on a headless machine, ' +
  'opt in to the file backend with `keychain = file` in config.ini.\n';

/** Runs a command that itself runs the CLI (dbus-run-session), collecting its exit code and output. */
function runCliVia(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

let home: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  home = await tempDir('backup-cli');
  await mkdir(join(home, '.aws'), { mode: 0o700 });
  env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    KEYROT_STATE_DIR: join(home, 'state'),
    KEYROT_KEYCHAIN_SERVICE: `keyrot-test-${randomBytes(4).toString('hex')}`,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
  };
});

describe('keyrot backup without a reachable keychain', () => {
  it('exits 5 saying what is missing and how to fix it when there is no D-Bus session bus', async () => {
    const result = await runCli(['backup', 'list'], {
      env: { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-such-bus')}` },
    });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'keyrot: the OS keychain is not reachable: there is no D-Bus session bus, so no Secret Service ' +
        '(gnome-keyring) can answer\n' +
        HINT,
    );
  });

  it('uses plain files only when config.ini opts in, warning on every use', async () => {
    await mkdir(join(home, '.config', 'keyrot'), { recursive: true });
    await writeFile(join(home, '.config', 'keyrot', 'config.ini'), 'keychain = file\n');
    const noBus = { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-such-bus')}` };
    for (let i = 0; i < 2; i++) {
      const result = await runCli(['backup', 'list', '--json'], { env: noBus });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ backups: [] });
      expect(result.stderr).toBe(`keyrot: warning: ${FILE_BACKEND_WARNING}\n`);
    }
  });
});

const describeBus = describeWith('dbusTools');

describeBus('keyrot backup on a D-Bus session bus without an unlocked keyring', () => {
  it('exits 5 saying the Secret Service has no unlocked keyring', async () => {
    // A private bus of its own; D-Bus may start gnome-keyring on demand, but nothing unlocks it.
    const runtime = join(home, 'runtime');
    await mkdir(runtime, { mode: 0o700 });
    const result = await runCliVia(
      '/usr/bin/dbus-run-session',
      ['--', process.execPath, CLI_PATH, 'backup', 'list'],
      {
        ...env,
        XDG_RUNTIME_DIR: runtime,
        DBUS_SESSION_BUS_ADDRESS: undefined,
      },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(
      'keyrot: the OS keychain is not reachable: the Secret Service has no unlocked keyring ' +
        '(gnome-keyring is not running or is locked)\n' +
        HINT,
    );
  });
});

describeReal('keyrot backup on a real Secret Service', () => {
  it('restore round trip through the CLI: edit, restore, byte-identical, with the edit kept as a backup', async () => {
    const file = join(home, '.aws', 'credentials');
    await writeFile(file, ORIGINAL, { mode: 0o600 });
    // What a rotation does: back up the file in the keychain, then edit the key in place.
    const keychain = await openKeychain({ env, stateDir: join(home, 'state') });
    const info = await new BackupStore(keychain.values).backup(ORIGINAL, {
      file,
      reason: 'rotation of profile default',
    });
    const edited = ORIGINAL.replace('AKIAORIGINALKEY0001', 'AKIAROTATEDKEY00002').replace(
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYORIGINAL01',
      'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbROTATED002',
    );
    await writeFile(file, edited);

    const refused = await runCli(['backup', 'restore', info.id], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`keyrot: restoring backup ${info.id} replaces ${file}`);
    expect(await readFile(file, 'utf8')).toBe(edited);

    const restored = await runCli(['backup', 'restore', info.id, '--yes'], { env });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(await readFile(file)).toEqual(Buffer.from(ORIGINAL, 'utf8'));

    const listed = await runCli(['backup', 'list', '--json'], { env });
    const { backups } = JSON.parse(listed.stdout) as {
      backups: { id: string; reason: string; file: string }[];
    };
    expect(backups.map((b) => b.reason)).toEqual([
      `before restore of ${info.id}`,
      'rotation of profile default',
    ]);
    expect(listed.stdout).not.toContain('AKIA');

    const shown = await runCli(['backup', 'show', backups[0]!.id], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(
      '\uFEFF# work keys\r\n[default]\r\naws_access_key_id = AKIA…0002\r\n' +
        'aws_secret_access_key=********\r\nregion = eu-west-1\r\n',
    );
    expect(shown.stdout + shown.stderr).not.toContain('ROTATED002');
  });
});
