// `keyrot emulator` and `keyrot emulator seed` as a person runs them: the built CLI in child processes.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { tempDirSync } from '../support/cleanup.js';
import { runCli } from '../support/run-cli.js';
import { spawnEmulator } from './cli-process.js';
import { iamClient, stsClient } from './clients.js';

interface SeedJson {
  user: string;
  arn: string;
  keys: { accessKeyId: string; secretAccessKey?: string; status: string; createDate: string }[];
  mfa?: { serial: string; secretBase32: string };
}

describe('keyrot emulator', () => {
  it('prints the URL first, seeds over the admin route, serves the SDK, and stops on SIGTERM', async () => {
    const emulator = await spawnEmulator(['--verbose']);
    try {
      expect(emulator.firstLine).toMatch(/^keyrot emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
      const seeded = await runCli([
        'emulator',
        'seed',
        '--endpoint',
        emulator.url,
        '--user',
        'cli-user',
        '--key-age-days',
        '100',
        '--second-key',
        'inactive',
        '--mfa',
        '--json',
      ]);
      expect(seeded.stderr).toBe('');
      expect(seeded.code).toBe(0);
      const json = JSON.parse(seeded.stdout) as SeedJson;
      expect(json.user).toBe('cli-user');
      expect(json.keys.map((key) => key.status)).toEqual(['Active', 'Inactive']);
      expect(json.keys[0]!.secretAccessKey).toHaveLength(40);
      expect(json.mfa!.secretBase32).toMatch(/^[A-Z2-7]{32}$/);
      const ageDays = (Date.now() - Date.parse(json.keys[0]!.createDate)) / 86_400_000;
      expect(Math.round(ageDays)).toBe(100);

      const key = { accessKeyId: json.keys[0]!.accessKeyId, secretAccessKey: json.keys[0]!.secretAccessKey! };
      expect((await stsClient(emulator.url, key).send(new GetCallerIdentityCommand({}))).Arn).toBe(json.arn);
      // The log line is written after the reply; give the pipe a moment.
      await expect
        .poll(() => emulator.stderr(), { timeout: 2_000 })
        .toMatch(/emulator: sts GetCallerIdentity 200/);
    } finally {
      expect(await emulator.stop('SIGTERM')).toBe(0);
    }
  });

  it('seed without --json prints the ids, and the secret only because no file was given', async () => {
    const emulator = await spawnEmulator();
    try {
      const result = await runCli(['emulator', 'seed', '--endpoint', emulator.url, '--user', 'cli-text']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^seeded user cli-text \(arn:aws:iam::\d{12}:user\/cli-text\)/);
      expect(result.stdout).toMatch(/key AKIA[A-Z0-9]{16} {2}Active/);
      expect(result.stdout).toMatch(/secret [A-Za-z0-9+/]{40}\n/);
    } finally {
      await emulator.stop();
    }
  });

  it('keeps a created key across kill -9 with --state (written before the answer)', async () => {
    const dir = tempDirSync('emulator-cli');
    const state = join(dir, 'emulator.json');
    const first = await spawnEmulator(['--state', state]);
    const seeded = JSON.parse(
      (await runCli(['emulator', 'seed', '--endpoint', first.url, '--user', 'cli-crash', '--json'])).stdout,
    ) as SeedJson;
    const main = {
      accessKeyId: seeded.keys[0]!.accessKeyId,
      secretAccessKey: seeded.keys[0]!.secretAccessKey!,
    };
    const created = (await iamClient(first.url, main).send(new CreateAccessKeyCommand({}))).AccessKey!;
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    expect(statSync(state).mode & 0o777).toBe(0o600);

    const second = await spawnEmulator(['--state', state]);
    try {
      const listed = await iamClient(second.url, main).send(new ListAccessKeysCommand({}));
      expect(listed.AccessKeyMetadata!.map((key) => key.AccessKeyId)).toContain(created.AccessKeyId);
      const fresh = { accessKeyId: created.AccessKeyId!, secretAccessKey: created.SecretAccessKey! };
      expect((await stsClient(second.url, fresh).send(new GetCallerIdentityCommand({}))).Arn).toBe(
        seeded.arn,
      );
    } finally {
      await second.stop();
    }
  });

  it('refuses bad options with exit code 2 and documents the fault grammar in --help', async () => {
    const badFault = await runCli(['emulator', '--fault', 'CreateAccessKey:explode']);
    expect(badFault.code).toBe(2);
    expect(badFault.stderr).toMatch(/invalid --fault "CreateAccessKey:explode": KIND must be one of/);
    const badPort = await runCli(['emulator', '--port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--port must be a whole number/);
    const badAge = await runCli([
      'emulator',
      'seed',
      '--endpoint',
      'http://127.0.0.1:9',
      '--user',
      'u',
      '--key-age-days',
      'old',
    ]);
    expect(badAge.code).toBe(2);
    const help = await runCli(['emulator', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--fault ACTION:KIND[:COUNT]');
    expect(help.stdout).toMatch(/throttle +answer 400 Throttling/);
    expect(help.stdout).toMatch(/COUNT +once \(default\), a number N, or always/);
  });

  it('seed against nothing listening fails with a clear message (exit 1)', async () => {
    const result = await runCli(['emulator', 'seed', '--endpoint', 'http://127.0.0.1:9', '--user', 'u']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach the emulator at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('keyrot emulator seed --credentials-file F --profile P', () => {
  it('writes the key into the profile (0600, other bytes kept) and never prints the secret', async () => {
    const { loadSharedConfigFiles } = await import('@smithy/shared-ini-file-loader');
    const dir = tempDirSync('emulator-seed');
    const file = join(dir, 'credentials');
    const before =
      '# my keys\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = keep-me\n';
    writeFileSync(file, before, { mode: 0o600 });
    const emulator = await spawnEmulator();
    try {
      const result = await runCli([
        '--credentials-file',
        file,
        'emulator',
        'seed',
        '--endpoint',
        emulator.url,
        '--user',
        'cli-file',
        '--profile',
        'work',
        '--json',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout) as SeedJson & { written: { file: string; profile: string } };
      expect(json.written).toEqual({ file, profile: 'work' });
      expect(json.keys[0]!.secretAccessKey).toBeUndefined();

      const text = readFileSync(file, 'utf8');
      expect(text.startsWith(before)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const { credentialsFile } = await loadSharedConfigFiles({
        filepath: file,
        configFilepath: join(dir, 'none'),
      });
      const work = credentialsFile.work!;
      expect(work.aws_access_key_id).toBe(json.keys[0]!.accessKeyId);
      expect(result.stdout).not.toContain(work.aws_secret_access_key!);
      const me = await stsClient(emulator.url, {
        accessKeyId: work.aws_access_key_id!,
        secretAccessKey: work.aws_secret_access_key!,
      }).send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe(json.arn);

      // A new file is created 0600; the text output names the file but not the secret.
      const fresh = join(dir, 'new-credentials');
      const text2 = await runCli([
        '--credentials-file',
        fresh,
        'emulator',
        'seed',
        '--endpoint',
        emulator.url,
        '--user',
        'cli-file-2',
      ]);
      expect(text2.code).toBe(0);
      expect(statSync(fresh).mode & 0o777).toBe(0o600);
      const created = (await loadSharedConfigFiles({ filepath: fresh, configFilepath: join(dir, 'none') }))
        .credentialsFile.default!;
      expect(text2.stdout).toContain(`to profile [default] of ${fresh}`);
      expect(text2.stdout).not.toContain(created.aws_secret_access_key!);
      expect(text2.stdout).not.toMatch(/secret [A-Za-z0-9+/]{40}/);
    } finally {
      await emulator.stop();
    }
  });
});
