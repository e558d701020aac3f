import { chmod, link, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/commands/context.js';
import { type DoctorDeps, type DoctorInput, doctorCommand } from '../../src/commands/doctor.js';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import type { CommandRunner } from '../../src/service/runner.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

let home: string;
beforeEach(async () => {
  home = await tempDir('doctor');
});

async function credentials(
  mode: number,
  text = `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`,
) {
  await mkdir(path.join(home, '.aws'), { recursive: true });
  const file = path.join(home, '.aws', 'credentials');
  await writeFile(file, text);
  await chmod(file, mode);
  return file;
}

/** Runs doctor in-process in the temp HOME; returns its exit code and what it printed. */
async function doctor(deps: DoctorDeps, env: NodeJS.ProcessEnv = {}, input: DoctorInput = {}) {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const ctx: CommandContext = {
    globals: { verbose: false },
    io: {
      stdout,
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      isTTY: false,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        KEYROT_KEYCHAIN_SERVICE: `keyrot-test-doctor-${process.pid}`,
        ...env,
      },
    },
  };
  const code = await doctorCommand(input, ctx, deps);
  return { code, text };
}

const keychainOk: DoctorDeps['openKeychain'] = async () => ({});
const noService: CommandRunner = async () => ({ code: 1, stdout: '', stderr: 'not found' });

describe('keyrot doctor', () => {
  it('passes with a private credentials file, valid settings and a reachable keychain', async () => {
    await credentials(0o600);
    const { code, text } = await doctor({ openKeychain: keychainOk, run: noService });
    expect(text).toContain(`✓ credentials file ${home}/.aws/credentials (mode 0600)`);
    expect(text).toContain('✓ profile default holds key AKIA…MPLE');
    expect(text).toContain('✓ keychain reachable');
    expect(text).toContain('✓ the AWS CLI and the SDK (keyrot) read the AWS files alike');
    expect(text).toContain('! the background service is not installed');
    expect(text).toContain('fix: run `keyrot service install`');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY_ID);
    expect(code).toBe(0);
  });

  it('fails with what to fix: open file mode, bad settings line, old node, locked keychain', async () => {
    const file = await credentials(0o644);
    await mkdir(path.join(home, '.config', 'keyrot'), { recursive: true });
    await writeFile(path.join(home, '.config', 'keyrot', 'config.ini'), '[profile dev]\nmax_age_dayz = 30\n');
    const { code, text } = await doctor({
      nodeVersion: '18.19.0',
      run: noService,
      openKeychain: async () => {
        throw new KeyrotError('KEYCHAIN_UNAVAILABLE', 'the OS keychain is locked', { hint: 'unlock it' });
      },
    });
    expect(code).toBe(1);
    expect(text).toContain('✗ node 18.19.0 is too old (keyrot needs 20 or later)');
    expect(text).toContain(`✗ credentials file ${file} can be read by others (mode 0644)`);
    expect(text).toContain(`fix: chmod 600 ${file}`);
    expect(text).toMatch(
      /✗ settings are invalid: unknown key max_age_dayz in \[profile dev\] at line 2 .*config\.ini:2\)/,
    );
    expect(text).toContain('fix: Did you mean max_age_days?');
    expect(text).toContain('✗ keychain not reachable: the OS keychain is locked');
    expect(text).toContain('fix: unlock it');
    expect(text).toMatch(/4 problems to fix/);
  });

  it('fails on a file or a directory above it that others can write (~/.aws 0777, a 0666 file), with the fix', async () => {
    const file = await credentials(0o666);
    const awsDir = path.join(home, '.aws');
    await chmod(awsDir, 0o777);
    await writeFile(path.join(awsDir, 'config'), '[default]\nregion = eu-west-1\n', { mode: 0o600 });
    const { code, text } = await doctor({ openKeychain: keychainOk, run: noService });
    expect(code).toBe(1);
    expect(text).toContain(`✗ credentials file ${file} can be read and written by others (mode 0666)`);
    expect(text).toContain(`fix: chmod 600 ${file}`);
    // Reported once, although both AWS files are below it.
    expect(text.split(`✗ directory ${awsDir} can be written by others (mode 0777)`)).toHaveLength(2);
    expect(text).toContain(`fix: chmod go-w ${awsDir}`);
    // A group-writable directory higher up counts too; the sticky system temp directory does not.
    await chmod(awsDir, 0o700);
    await chmod(home, 0o775);
    const higher = await doctor({ openKeychain: keychainOk, run: noService });
    expect(higher.text).toContain(`✗ directory ${home} can be written by others (mode 0775)`);
    // (The run's own temp dir is private; the system's is above it: test/support/leftover-check.ts.)
    const systemTmp = process.env.KEYROT_TEST_SYSTEM_TMPDIR ?? tmpdir();
    expect(higher.text).not.toContain(`directory ${systemTmp} `);
    await chmod(home, 0o700);
    await chmod(file, 0o600);
    const fixed = await doctor({ openKeychain: keychainOk, run: noService });
    expect(fixed.text).not.toContain('written by others');
    expect(fixed.code).toBe(0);
  });

  it('on Windows: no POSIX mode verdicts (they are not permissions there), and a warning when HOME and %USERPROFILE% name different AWS files', async () => {
    // 0666 is what Windows reports for every file: doctor must not call it readable by others.
    const file = await credentials(0o666);
    const { code, text } = await doctor(
      { openKeychain: keychainOk, run: noService, platform: 'win32' },
      { USERPROFILE: 'C:\\Users\\ann' },
    );
    expect(text).not.toContain('by others');
    expect(text).toContain(
      `✓ credentials file ${file} (its access control list is not checked: \`icacls "${file}"\``,
    );
    expect(text).toContain('! keyrot follows HOME and would rewrite');
    expect(text).toContain('but the AWS CLI on Windows ignores HOME and reads C:\\Users\\ann');
    expect(text).toContain('fix: unset HOME where keyrot runs');
    expect(code).toBe(0);
    // The same files on both sides: no warning.
    const agreeing = await doctor(
      { openKeychain: keychainOk, run: noService, platform: 'win32' },
      { USERPROFILE: home },
    );
    expect(agreeing.text).not.toContain('ignores HOME');
  });

  it('on a Mac: names the CPU and Rosetta, the notification route and whether it starts, and a tray helper that cannot run', async () => {
    await credentials(0o600);
    /** A Mac as sysctl, arch and the notification programs answer on it; everything else is absent. */
    const mac =
      (appleSilicon: boolean, rosetta: boolean): CommandRunner =>
      async (command, args) => {
        if (command.endsWith('sysctl')) {
          return {
            code: 0,
            stdout: args[1] === 'hw.optional.arm64' && appleSilicon ? '1\n' : '0\n',
            stderr: '',
          };
        }
        if (command.endsWith('/arch')) return { code: rosetta ? 0 : 1, stdout: '', stderr: '' };
        if (command.endsWith('terminal-notifier') || command.endsWith('osascript')) {
          return { code: 0, stdout: '', stderr: '' };
        }
        return { code: 1, stdout: '', stderr: 'not found' };
      };
    const bare = await doctor({ openKeychain: keychainOk, run: mac(true, false), platform: 'darwin' });
    expect(bare.text).toContain('✓ Apple silicon; Rosetta 2 not installed');
    expect(bare.text).toContain(
      '✓ notifications through osascript, shown as from Script Editor: terminal-notifier cannot run: it is built for x86_64 only',
    );
    expect(bare.text).toContain(
      '! the tray icon cannot run here: it is built for x86_64 only, and this Mac has Apple silicon and Rosetta 2 is not installed',
    );
    expect(bare.text).toContain('fix: softwareupdate --install-rosetta --agree-to-license');
    const rosetta = await doctor({ openKeychain: keychainOk, run: mac(true, true), platform: 'darwin' });
    expect(rosetta.text).toContain('✓ Apple silicon; Rosetta 2 installed');
    expect(rosetta.text).toContain('✓ notifications through terminal-notifier, which starts here');
    expect(rosetta.text).not.toContain('tray icon cannot run');
    const intel = await doctor({ openKeychain: keychainOk, run: mac(false, false), platform: 'darwin' });
    expect(intel.text).toContain('✓ Intel CPU');
    expect(intel.text).toContain('✓ notifications through terminal-notifier');
  });

  it("on Windows: warns that toasts say SnoreToast until keyrot's name is registered", async () => {
    await credentials(0o600);
    const { text } = await doctor(
      { openKeychain: keychainOk, run: noService, platform: 'win32' },
      { USERPROFILE: home, APPDATA: path.join(home, 'AppData') },
    );
    expect(text).toContain('! notifications show as from "SnoreToast"');
    expect(text).toContain('fix: run `keyrot service install`, which registers it');
  });

  it('warns about a hard-linked credentials file, which a rotation would refuse', async () => {
    const file = await credentials(0o600);
    await link(file, path.join(home, 'second-name'));
    const { code, text } = await doctor({ openKeychain: keychainOk, run: noService });
    expect(text).toContain(`! ${file} has 2 hard links`);
    expect(text).toMatch(/fix: Edit the file through one name only: remove the extra link.*--allow-hardlink/);
    expect(code).toBe(0);
  });

  it('names a place in an [sso-session] section by its section', async () => {
    await credentials(0o600);
    const config = path.join(home, '.aws', 'config');
    await writeFile(
      config,
      '[profile work]\nsso_session = corp\n[sso-session corp]\nsso_region = eu-west-1 # Dublin\n',
      { mode: 0o600 },
    );
    const { code, text } = await doctor({ openKeychain: keychainOk, run: noService });
    expect(text).toContain(
      `! ${config}:4: the AWS CLI reads another value of sso_region than the SDK (and keyrot): a comment follows the value`,
    );
    expect(text).toContain('([sso-session corp])\n      fix: put the comment on a line of its own\n');
    expect(code, text).toBe(0);
  });

  it('names each place the AWS CLI reads otherwise than the SDK: file, line, reader, profile, fix', async () => {
    const file = await credentials(
      0o600,
      `[default]\naws_access_key_id = ${KEY_ID} # work\naws_secret_access_key = ${SECRET}\n`,
    );
    const config = path.join(home, '.aws', 'config');
    await writeFile(config, '[default]\nregion = eu-west-1\n[default]\noutput = json\n', { mode: 0o600 });
    const { code, text } = await doctor({ openKeychain: keychainOk, run: noService });
    expect(text).toContain(
      `! ${file}:2: the AWS CLI reads another value of aws_access_key_id than the SDK (and keyrot): a comment follows the value`,
    );
    expect(text).toContain('(profile default)\n      fix: put the comment on a line of its own\n');
    expect(text).toContain(
      `! ${config}:3: a section header repeats one above it (the SDK merges the two sections): the AWS CLI cannot read this file`,
    );
    expect(text).toContain('fix: merge the two sections into one');
    expect(text).not.toContain(KEY_ID);
    expect(code, text).toBe(0);
  });

  it('--json: one document whose reader checks carry the place, the reader affected and the fix', async () => {
    const file = await credentials(
      0o600,
      `[default]\nAWS_ACCESS_KEY_ID = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`,
    );
    const { code, text } = await doctor({ openKeychain: keychainOk, run: noService }, {}, { json: true });
    const doc = JSON.parse(text) as { checks: Record<string, unknown>[]; failed: number; warnings: number };
    const readers = doc.checks.filter((check) => check.readers);
    expect(readers).toEqual([
      expect.objectContaining({
        level: 'warn',
        place: { file, line: 2 },
        readers: { effect: 'sdk-only', profiles: ['default'], keys: ['AWS_ACCESS_KEY_ID'] },
        fix: 'write the key name in lower case (aws_access_key_id)',
      }),
      expect.objectContaining({
        level: 'warn',
        place: { file, line: 2 },
        readers: { effect: 'aws-cli-only', profiles: ['default'], keys: ['aws_access_key_id'] },
      }),
    ]);
    // The SDK does not see a key id under the upper-case name: keyrot cannot rotate this profile as written.
    expect(doc.checks).toContainEqual(
      expect.objectContaining({ level: 'fail', text: 'profile default has no complete access key' }),
    );
    expect(doc.failed).toBe(1);
    expect(code).toBe(1);
    expect(text).not.toContain(KEY_ID);
  });

  it('names a watched profile that is missing or cannot be rotated', async () => {
    await credentials(
      0o600,
      '[default]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\naws_session_token = t\n',
    );
    const missing = await doctor({ openKeychain: keychainOk, run: noService }, { AWS_PROFILE: 'work' });
    expect(missing.text).toContain('✗ profile work is not in the AWS files');
    expect(missing.code).toBe(1);
    const temporary = await doctor({ openKeychain: keychainOk, run: noService });
    expect(temporary.text).toContain('! profile default uses temporary or external credentials');
  });

  it.skipIf(process.platform !== 'linux')('fails when the service is installed but not running', async () => {
    await credentials(0o600);
    await mkdir(path.join(home, '.config', 'systemd', 'user'), { recursive: true });
    await writeFile(path.join(home, '.config', 'systemd', 'user', 'keyrot.service'), '[Service]\n');
    const run: CommandRunner = async (_command, args) =>
      args.includes('is-enabled')
        ? { code: 0, stdout: 'enabled\n', stderr: '' }
        : { code: 3, stdout: 'failed\n', stderr: '' };
    const { code, text } = await doctor({ openKeychain: keychainOk, run });
    expect(text).toContain(
      '✗ the background service keyrot.service is installed but not running (enabled, failed)',
    );
    expect(code).toBe(1);
  });
});

const describeDesktop = describeWith('secretService', 'notifications');
describeDesktop('keyrot doctor in a real desktop session', () => {
  it('finds the real keychain and the notification daemon', async () => {
    await credentials(0o600);
    const env = {
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    };
    const { code, text } = await doctor({ run: noService }, env);
    expect(text).toContain('✓ keychain reachable (OS keychain)');
    expect(text).toContain('✓ a notification daemon is running on the session bus');
    expect(code).toBe(0);
  });
});
