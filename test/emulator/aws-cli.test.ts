// Debian's AWS CLI v2 (botocore: an independent SigV4 signer and XML parser) against the emulator.
// Credentials go in the environment, never in argv; the CLI's own files point at empty temp files.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type RunningEmulator,
  type SeededUser,
  seedUser,
  startEmulator,
  totpCode,
} from '../../src/emulator/index.js';
import { tempDirSync } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const AWS = '/usr/bin/aws';
const describeAwsCli = describeWith('awsCli');

interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
}

let emulator: RunningEmulator;
let user: SeededUser;
let home: string;

/** Runs the AWS CLI asynchronously (the emulator lives in this process and must keep serving). */
function aws(args: string[], key: { accessKeyId: string; secretAccessKey: string }): Promise<AwsResult> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return new Promise((resolve) => {
    execFile(
      AWS,
      ['--endpoint-url', emulator.url, '--output', 'json', ...args],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The same secret with its last character changed. */
function otherSecret(secret: string): string {
  return `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
}

function json<T>(result: AwsResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describeAwsCli('AWS CLI v2 against the emulator', () => {
  beforeAll(async () => {
    home = tempDirSync('awscli');
    writeFileSync(join(home, 'config'), '', { mode: 0o600 });
    writeFileSync(join(home, 'credentials'), '', { mode: 0o600 });
    emulator = await startEmulator();
    user = await seedUser(emulator, { user: 'cli-v2', keyAgeDays: 42, mfa: true });
  });
  afterAll(async () => emulator?.close());

  it('parses identity, key listing and last use, and session tokens', async () => {
    const main = user.keys[0]!;
    const [identity, listed, session] = await Promise.all([
      aws(['sts', 'get-caller-identity'], main),
      aws(['iam', 'list-access-keys'], main),
      aws(
        [
          'sts',
          'get-session-token',
          '--serial-number',
          user.mfa!.serial,
          '--token-code',
          totpCode(user.mfa!.secretBase32),
        ],
        main,
      ),
    ]);
    expect(json<{ Arn: string; Account: string; UserId: string }>(identity)).toEqual({
      Arn: user.arn,
      Account: user.accountId,
      UserId: user.userId,
    });
    const keys = json<{ AccessKeyMetadata: { AccessKeyId: string; Status: string; CreateDate: string }[] }>(
      listed,
    );
    expect(keys.AccessKeyMetadata.map((key) => [key.AccessKeyId, key.Status])).toEqual([
      [main.accessKeyId, 'Active'],
    ]);
    expect(Date.parse(keys.AccessKeyMetadata[0]!.CreateDate)).toBe(Date.parse(main.createDate));
    const credentials = json<{
      Credentials: { AccessKeyId: string; SessionToken: string; Expiration: string };
    }>(session).Credentials;
    expect(credentials.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(Date.parse(credentials.Expiration)).toBeGreaterThan(Date.now());

    const lastUsed = json<{ UserName: string; AccessKeyLastUsed: { ServiceName: string; Region: string } }>(
      await aws(['iam', 'get-access-key-last-used', '--access-key-id', main.accessKeyId], main),
    );
    expect(lastUsed.UserName).toBe('cli-v2');
    expect(lastUsed.AccessKeyLastUsed).toMatchObject({ ServiceName: 'iam', Region: 'us-east-1' });
  });

  it('creates, deactivates and deletes a key (an admin acting on another user)', async () => {
    const admin = await seedUser(emulator, { user: 'cli-v2-admin', admin: true });
    const created = json<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string; Status: string } }>(
      await aws(['iam', 'create-access-key', '--user-name', 'cli-v2'], admin.keys[0]!),
    ).AccessKey;
    expect(created.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(created.SecretAccessKey).toHaveLength(40);
    expect(created.Status).toBe('Active');

    const update = await aws(
      [
        'iam',
        'update-access-key',
        '--user-name',
        'cli-v2',
        '--access-key-id',
        created.AccessKeyId,
        '--status',
        'Inactive',
      ],
      admin.keys[0]!,
    );
    expect(update).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(emulator.admin.keys('cli-v2').find((key) => key.accessKeyId === created.AccessKeyId)!.status).toBe(
      'Inactive',
    );
    const remove = await aws(
      ['iam', 'delete-access-key', '--user-name', 'cli-v2', '--access-key-id', created.AccessKeyId],
      admin.keys[0]!,
    );
    expect(remove).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(emulator.admin.keys('cli-v2').map((key) => key.accessKeyId)).toEqual([user.keys[0]!.accessKeyId]);
  });

  it('reports SignatureDoesNotMatch for a wrong secret and NoSuchEntity for an unknown key', async () => {
    const main = user.keys[0]!;
    const [wrong, missing] = await Promise.all([
      aws(['sts', 'get-caller-identity'], { ...main, secretAccessKey: otherSecret(main.secretAccessKey) }),
      aws(['iam', 'get-access-key-last-used', '--access-key-id', 'AKIAZZZZZZZZZZZZZZZZ'], main),
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(
      /An error occurred \(SignatureDoesNotMatch\) when calling the GetCallerIdentity operation/,
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(
      /\(NoSuchEntity\).*The Access Key with id AKIAZZZZZZZZZZZZZZZZ cannot be found/,
    );
  });
});
