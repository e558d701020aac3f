// status, demo, refusals, the lock and the after_rotate hook, through the built CLI against the emulator.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { acquireLock, namedLockPath } from '../../src/lock/index.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock, type World } from '../support/world.js';
import { expectNoSecretLeft } from './harness.js';

const suite = describeWith('secretService');

suite('status, demo, refusals, lock and hook', { concurrent: true }, () => {
  let emulator: RunningEmulator;
  const worlds: World[] = [];
  const secrets: string[] = [];
  const world = async () => {
    const w = await createWorld({ label: 'e2e', emulator });
    worlds.push(w);
    return w;
  };
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await expectNoSecretLeft(worlds, secrets);
    await emulator?.close();
  });

  it('status shows kind, masked key, age, due date and keys; --offline reads the state file; warns about an old env key', async () => {
    const w = await world();
    const user = await w.seed('status-user', { keyAgeDays: 100, secondKey: 'inactive' });
    secrets.push(...user.keys.map((k) => k.secretAccessKey));
    await w.writeCredentials(
      `${profileBlock('p', user.keys[0]!)}\n[temp]\naws_access_key_id = ASIAEXAMPLEEXAMPLE12\naws_secret_access_key = s\naws_session_token = t\n`,
    );
    const offlineBefore = await w.run(['status', '--offline', '--json']);
    expect(offlineBefore.code, offlineBefore.stderr).toBe(0);
    expect(JSON.parse(offlineBefore.stdout).warnings.join(' ')).toContain('no state recorded yet');

    const table = await w.run(['status']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/PROFILE\s+KIND\s+KEY\s+AGE/);
    expect(table.stdout).toMatch(/p\s+static\s+AKIA…\w{4}\s+100 d/);
    expect(table.stdout).toContain('temp: not rotated: it holds temporary credentials');

    const rotated = await w.run(['rotate-now', '--profile', 'p']);
    expect(rotated.code, rotated.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    const json = await w.run(['status', '--profile', 'p', '--json'], {
      env: { AWS_ACCESS_KEY_ID: user.keys[0]!.accessKeyId },
    });
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.profiles[0]).toMatchObject({ profile: 'p', kind: 'static', ageDays: 0, due: false });
    expect(doc.profiles[0].keys).toHaveLength(2);
    expect(doc.profiles[0].lastResult.outcome).toBe('rotated');
    expect(doc.warnings.join(' ')).toContain('AWS_ACCESS_KEY_ID in your environment');
    const offline = await w.run(['status', '--offline', '--json', '--profile', 'p']);
    expect(JSON.parse(offline.stdout).profiles[0].lastResult.outcome).toBe('rotated');
  });

  it('refuses session, SSO, role and credential_process profiles with the reason (exit 3)', async () => {
    const w = await world();
    await w.writeCredentials(
      '[s]\naws_access_key_id = ASIAEXAMPLEEXAMPLE12\naws_secret_access_key = x\naws_session_token = y\n',
    );
    await writeFile(
      w.configFile,
      '[profile sso]\nsso_session = corp\n[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\n[profile proc]\ncredential_process = /bin/true\n',
    );
    const reasons: Record<string, RegExp> = {
      s: /temporary credentials/,
      sso: /IAM Identity Center/,
      role: /assumes a role/,
      proc: /credential_process/,
    };
    for (const [profile, why] of Object.entries(reasons)) {
      const result = await w.run(['rotate-now', '--profile', profile]);
      expect(result.code, profile).toBe(3);
      expect(result.stderr).toMatch(why);
    }
  });

  it("waits, bounded, then exits 4 while another rotation holds the key's or the user's lock", async () => {
    const w = await world();
    const user = await w.seed('locked-user', { keyAgeDays: 100 });
    secrets.push(user.keys[0]!.secretAccessKey);
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    const locks = join(w.stateDir, 'locks');
    await mkdir(locks, { recursive: true });
    for (const [kind, name] of [
      ['key', user.keys[0]!.accessKeyId],
      ['user', user.arn],
    ] as const) {
      const release = await acquireLock(namedLockPath(locks, kind, name), {
        wait: false,
        purpose: 'test holder',
      });
      try {
        const result = await w.run(['rotate-now', '--profile', 'p'], {
          env: { KEYROT_LOCK_WAIT_MS: '1500' },
        });
        expect(result.code, result.stderr).toBe(4);
        expect(result.stderr, kind).toMatch(
          /wait +another rotation of .* is running \(test holder, pid \d+\)/,
        );
      } finally {
        await release();
      }
    }
    expect(emulator.admin.keys('locked-user')).toHaveLength(1);
  });

  it('runs after_rotate with the new key in its environment only and survives its failure', async () => {
    const w = await world();
    const user = await w.seed('hook-user', { keyAgeDays: 100 });
    secrets.push(user.keys[0]!.secretAccessKey);
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    const out = join(w.home, 'hook.out');
    await mkdir(join(w.home, '.config', 'keyrot'), { recursive: true });
    await writeFile(
      join(w.home, '.config', 'keyrot', 'config.ini'),
      `[profile p]\nafter_rotate = printf '%s %s' "$AWS_PROFILE" "$AWS_ACCESS_KEY_ID" > ${out} && echo "secret=$AWS_SECRET_ACCESS_KEY" && exit 7\n`,
    );
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout).profiles[0];
    expect(doc.hook).toMatchObject({ exitCode: 7, ok: false });
    expect(result.stderr).toContain('after_rotate command of profile p failed');
    const key = await w.currentKey('p');
    secrets.push(key.secretAccessKey);
    const written = await readFile(out, 'utf8');
    expect(written).toContain(`p ${key.accessKeyId}`);
    expect(written).not.toContain(key.secretAccessKey);
    const log = await readFile(join(w.stateDir, 'keyrot.log'), 'utf8');
    expect(log).toContain('after_rotate failed');
  });

  it('keyrot demo rotates a 120-day-old key in a throwaway HOME and shows the result', async () => {
    const w = await world();
    const result = await w.run(['demo'], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/identify\s+AKIA…\w{4} belongs to arn:aws:iam::\d+:user\/demo-user/);
    expect(result.stdout).toMatch(/- aws_access_key_id=AKIA…\w{4}\n\s*\+ aws_access_key_id=AKIA…\w{4}/);
    expect(result.stdout).toContain('13 of 15 lines unchanged');
    expect(result.stdout).toMatch(/backup of the previous file in the keychain: \d{8}T\d{6}Z-\w+/);
    expect(result.stdout).toMatch(/Inactive .*the old key/);
    expect(result.stdout).toMatch(/Active .*the new key/);
    expect(result.stdout).not.toMatch(/[A-Za-z0-9/+]{40}/);
  });
});
