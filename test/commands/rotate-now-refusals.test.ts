// Refusals that the AWS files alone decide come before the keychain or the network is touched, so
// they hold even where neither is reachable (here: no D-Bus session bus, no endpoint).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rotateNowCommand } from '../../src/commands/rotate-now.js';
import { tempDir } from '../support/cleanup.js';
import { runCli } from '../support/run-cli.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

async function home(): Promise<{ env: NodeJS.ProcessEnv; credentials: string; text: string }> {
  const dir = await tempDir('refusal');
  const credentials = join(dir, 'credentials');
  const text = [
    '[static]',
    'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    `aws_secret_access_key = ${SECRET}`,
    '[sess]',
    'aws_access_key_id = ASIAIOSFODNN7EXAMPLE',
    `aws_secret_access_key = ${SECRET}`,
    'aws_session_token = FwoGZXIvYXdzEJr',
    '',
  ].join('\n');
  await writeFile(credentials, text, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: join(dir, 'config'),
    KEYROT_STATE_DIR: join(dir, 'state'),
    KEYROT_CONFIG: join(dir, 'no-settings.ini'),
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}`,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  };
  // An explicitly named settings file must exist; an empty one means the defaults.
  await writeFile(env.KEYROT_CONFIG!, '', { mode: 0o600 });
  return { env, credentials, text };
}

describe('rotate-now refusals decided by the AWS files', () => {
  it('refuses a session-token profile with exit 3 without needing the keychain', async () => {
    const { env, credentials, text } = await home();
    const result = await runCli(['rotate-now', '--profile', 'sess'], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('keyrot will not rotate profile "sess"');
    expect(result.stderr).not.toContain('keychain');
    expect(result.stderr + result.stdout).not.toContain(SECRET);
    expect(await readFile(credentials, 'utf8')).toBe(text);
  });

  it('names a missing profile with exit 2', async () => {
    const { env } = await home();
    const result = await runCli(['rotate-now', '--profile', 'nope'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('profile "nope" is in neither AWS file');
  });

  it('reports every refused profile in one JSON document', async () => {
    const { env } = await home();
    const result = await runCli(['rotate-now', '--profile', 'sess', '--profile', 'nope', '--json'], { env });
    expect(result.code).toBe(3);
    const document = JSON.parse(result.stdout) as { profiles: { profile: string }[] };
    expect(document.profiles.map((p) => p.profile)).toEqual(['sess', 'nope']);
  });
});

describe('output into a closed pipe', () => {
  it('exits quietly when the reader stops early (keyrot … | head)', async () => {
    const { runCliReaderGoneEarly } = await import('../support/run-cli.js');
    const { code, stderr } = await runCliReaderGoneEarly([
      'service',
      'install',
      '--dry-run',
      '--platform',
      'linux',
    ]);
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});

describe('rotate-now on Windows with HOME set', () => {
  it('warns when the files it would rewrite are not the ones the AWS CLI reads (%USERPROFILE%)', async () => {
    const { env } = await home();
    delete env.AWS_SHARED_CREDENTIALS_FILE;
    delete env.AWS_CONFIG_FILE;
    let stderr = '';
    const err = new PassThrough();
    err.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const ctx = {
      globals: { verbose: false },
      io: {
        stdout: new PassThrough(),
        stderr: err,
        stdin: new PassThrough(),
        isTTY: false,
        env: { ...env, USERPROFILE: 'C:\\Users\\ann' },
      },
    };
    // A profile that is not there: the warning comes first, whatever the rotation then says.
    await expect(rotateNowCommand({ profile: ['nope'] }, ctx, { platform: 'win32' })).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
    });
    expect(stderr).toContain(`keyrot: warning: keyrot follows HOME and would rewrite ${env.HOME}`);
    expect(stderr).toContain('the AWS CLI on Windows ignores HOME and reads C:\\Users\\ann');
    stderr = '';
    await expect(rotateNowCommand({ profile: ['nope'] }, ctx, { platform: 'linux' })).rejects.toBeTruthy();
    expect(stderr).not.toContain('warning');
  });
});
