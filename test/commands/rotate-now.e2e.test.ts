// End to end: the built CLI as a subprocess, the emulator over HTTP, a temp HOME, the real Secret
// Service (scripts/test-session.sh), and Debian's AWS CLI as an independent reader afterwards.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator, totpCode } from '../../src/emulator/index.js';
import { stopAtFileEnd } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH } from '../support/run-cli.js';
import { createWorld, profileBlock, valueIn, type World } from '../support/world.js';
import { awsCli, expectNoSecretLeft } from './harness.js';

const suite = describeWith('secretService', 'awsCli');

suite('keyrot rotate-now end to end', { concurrent: true }, () => {
  let emulator: RunningEmulator;
  const worlds: World[] = [];
  const secrets: string[] = [];
  const world = async () => {
    const w = await createWorld({ label: 'e2e', emulator });
    worlds.push(w);
    return w;
  };
  const remember = (...values: (string | undefined)[]) => {
    for (const v of values) if (v) secrets.push(v);
  };

  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    // Every secret this suite saw (seeded and created) must appear in no output, log or state file.
    for (const w of worlds)
      remember(valueIn(await w.readCredentials().catch(() => ''), 'p', 'aws_secret_access_key'));
    await expectNoSecretLeft(worlds, secrets);
    await emulator?.close();
  });

  it('rotates a 120-day-old key; the AWS CLI then works with the new key and sees the old one inactive', async () => {
    const w = await world();
    const user = await w.seed('old-key', { keyAgeDays: 120 });
    const old = user.keys[0]!;
    remember(old.secretAccessKey);
    const text = `# my keys\n${profileBlock('p', old, 'region = us-east-1 ; inline\n')}\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = x\n`;
    await w.writeCredentials(text);
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { profiles: Record<string, unknown>[] };
    expect(doc.profiles[0]).toMatchObject({
      profile: 'p',
      outcome: 'rotated',
      oldKeyAction: 'deactivated',
      resumed: false,
    });
    expect(doc.profiles[0]!.backupId).toBeTruthy();
    const after = await w.readCredentials();
    const newId = valueIn(after, 'p', 'aws_access_key_id')!;
    expect(newId).not.toBe(old.accessKeyId);
    expect(doc.profiles[0]!.newKeyId).toBe(`${newId.slice(0, 4)}…${newId.slice(-4)}`);
    // Every byte outside the two values is kept.
    const strip = (t: string) => t.replace(/^aws_(access_key_id|secret_access_key) = .*$/gm, '');
    expect(strip(after)).toBe(strip(text));
    const identity = await awsCli(w, ['sts', 'get-caller-identity'], 'p');
    expect(identity.code, identity.stderr).toBe(0);
    expect(JSON.parse(identity.stdout).Arn).toBe(user.arn);
    const keys = await awsCli(w, ['iam', 'list-access-keys'], 'p');
    expect(keys.code, keys.stderr).toBe(0);
    const listed = JSON.parse(keys.stdout).AccessKeyMetadata as { AccessKeyId: string; Status: string }[];
    expect(listed.find((k) => k.AccessKeyId === old.accessKeyId)?.Status).toBe('Inactive');
    expect(listed.find((k) => k.AccessKeyId === newId)?.Status).toBe('Active');
  });

  it('deletes an inactive second key to make room', async () => {
    const w = await world();
    const user = await w.seed('inactive-other', { keyAgeDays: 100, secondKey: 'inactive' });
    remember(...user.keys.map((k) => k.secretAccessKey));
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).profiles[0]).toMatchObject({
      outcome: 'rotated',
      otherKeyAction: 'deleted-inactive',
    });
    const ids = emulator.admin.keys('inactive-other').map((k) => k.accessKeyId);
    expect(ids).toHaveLength(2);
    expect(ids).not.toContain(user.keys[1]!.accessKeyId);
  });

  it('refuses (exit 3, nothing changed) when the second key is active, naming it and its last use', async () => {
    const w = await world();
    const user = await w.seed('active-other', { keyAgeDays: 100, secondKey: 'active' });
    remember(...user.keys.map((k) => k.secretAccessKey));
    const text = profileBlock('p', user.keys[0]!);
    await w.writeCredentials(text);
    const summary = () =>
      JSON.stringify(emulator.admin.keys('active-other').map((k) => [k.accessKeyId, k.status]));
    const before = summary();
    const result = await w.run(['rotate-now', '--profile', 'p']);
    expect(result.code).toBe(3);
    const other = user.keys[1]!.accessKeyId;
    expect(result.stderr).toContain(`${other.slice(0, 4)}…${other.slice(-4)}`);
    expect(result.stderr).toMatch(/never used|last used/);
    expect(result.stderr).toContain('--delete-other');
    expect(await w.readCredentials()).toBe(text);
    expect(summary()).toBe(before);
    // --delete-other then makes room.
    const forced = await w.run(['rotate-now', '--profile', 'p', '--delete-other', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).profiles[0].otherKeyAction).toBe('deleted-active');
  });

  it('leaves a key that is not yet due alone, and rotates it with --force; --dry-run changes nothing', async () => {
    const w = await world();
    const user = await w.seed('young', { keyAgeDays: 10 });
    remember(user.keys[0]!.secretAccessKey);
    const text = profileBlock('p', user.keys[0]!);
    await w.writeCredentials(text);
    const notDue = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(notDue.code, notDue.stderr).toBe(0);
    expect(JSON.parse(notDue.stdout).profiles[0]).toMatchObject({ outcome: 'not-due', ageDays: 10 });
    const dry = await w.run(['rotate-now', '--profile', 'p', '--force', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).profiles[0].outcome).toBe('dry-run');
    expect(await w.readCredentials()).toBe(text);
    expect(emulator.admin.keys('young')).toHaveLength(1);
    const forced = await w.run(['rotate-now', '--profile', 'p', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).profiles[0].outcome).toBe('rotated');
  });

  it('updates every profile holding the old key, in the credentials and the config file', async () => {
    const w = await world();
    const user = await w.seed('shared', { keyAgeDays: 95 });
    const old = user.keys[0]!;
    remember(old.secretAccessKey);
    await w.writeCredentials(
      `${profileBlock('p', old)}\n${profileBlock('a', old)}\n${profileBlock('b', old)}`,
    );
    await writeFile(
      w.configFile,
      `[profile c]\nregion = us-east-1\naws_access_key_id = ${old.accessKeyId}\naws_secret_access_key = ${old.secretAccessKey}\n`,
    );
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const after = await w.readCredentials();
    const newId = valueIn(after, 'p', 'aws_access_key_id');
    for (const p of ['a', 'b']) expect(valueIn(after, p, 'aws_access_key_id')).toBe(newId);
    const config = await import('node:fs/promises').then((fs) => fs.readFile(w.configFile, 'utf8'));
    expect(valueIn(config, 'profile c', 'aws_access_key_id')).toBe(newId);
    expect(config).not.toContain(old.secretAccessKey);
    expect((await awsCli(w, ['sts', 'get-caller-identity'], 'c')).code).toBe(0);
  });

  it('asks for the MFA code on a terminal and rotates with the MFA session; without a terminal exits 5', async () => {
    const w = await world();
    const user = await w.seed('mfa-user', { keyAgeDays: 100, mfa: true });
    remember(user.keys[0]!.secretAccessKey);
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    await writeFile(w.configFile, `[profile p]\nmfa_serial = ${user.mfa!.serial}\n`);
    const noTty = await w.run(['rotate-now', '--profile', 'p']);
    expect(noTty.code).toBe(5);
    expect(noTty.stderr).toContain('keyrot rotate-now');

    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const command = `${process.execPath} ${CLI_PATH} rotate-now --profile p`;
      const child = stopAtFileEnd(
        spawn('script', ['-qfec', command, '/dev/null'], { env: w.env, stdio: ['pipe', 'pipe', 'pipe'] }),
      );
      let text = '';
      let typed = false;
      const onData = (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (!typed && text.includes('MFA code')) {
          typed = true;
          child.stdin.write(`${totpCode(user.mfa!.secretBase32)}\n`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('close', (code) => resolve({ code, text }));
    });
    w.captures.push(output.text);
    expect(output.code, output.text).toBe(0);
    expect(output.text).toContain('rotated');
    const keys = emulator.admin.keys('mfa-user');
    expect(keys.find((k) => k.accessKeyId === user.keys[0]!.accessKeyId)?.status).toBe('Inactive');
  });

  it('waits out a 5 s propagation delay before touching the file', async () => {
    const slow = await startEmulator({ host: '127.0.0.1', port: 0, propagationDelayMs: 5_000 });
    try {
      const w = await createWorld({ label: 'e2e', emulator: slow });
      worlds.push(w);
      const user = await w.seed('slow', { keyAgeDays: 100 });
      remember(user.keys[0]!.secretAccessKey);
      await w.writeCredentials(profileBlock('p', user.keys[0]!));
      const started = Date.now();
      const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThan(4_000);
      expect(result.stderr).toMatch(/does not accept the new key yet/);
      expect((await awsCli(w, ['sts', 'get-caller-identity'], 'p')).code).toBe(0);
      const listed = slow.admin.keys('slow');
      expect(listed.find((k) => k.accessKeyId === user.keys[0]!.accessKeyId)?.status).toBe('Inactive');
    } finally {
      await slow.close();
    }
  });
});
