// `keyrot status` through the built CLI: the bin runs it from a bundle of its own (src/cli.ts's fast
// path: dist/bundle/status.cjs for --offline, dist/bundle/status-online.cjs otherwise) and prints exactly
// what commander's path through every command's bundle prints for the same world (text, --json,
// warnings, errors, exit codes); what the fast path does not parse goes to commander; --offline never
// opens the keychain.
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { atFileEnd, tempDir } from '../support/cleanup.js';
import { runOnBothPaths } from '../support/fast-path.js';
import { type ProbedRun, runCliProbed } from '../support/run-cli.js';
import { createWorld, type World } from '../support/world.js';

const STATUS_BUNDLE = fileURLToPath(new URL('../../dist/bundle/status.cjs', import.meta.url));
const ONLINE_BUNDLE = fileURLToPath(new URL('../../dist/bundle/status-online.cjs', import.meta.url));
const COMMANDS_BUNDLE = fileURLToPath(new URL('../../dist/bundle/keyrot.cjs', import.meta.url));

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  atFileEnd(() => emulator.close());
});

/** One run of the built CLI in `w` and the files it loaded. */
const run = (w: World, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProbedRun> =>
  runCliProbed(args, { ...w.env, ...env });

/**
 * `status ...args` on the fast path, and the same through commander: a global option before the
 * command (which the fast path leaves to commander) that changes nothing here (`before`). Both must
 * print the same and exit alike; returns the fast path's run.
 */
async function sameOnBothPaths(
  w: World,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  before = ['--region', 'eu-west-1'],
): Promise<ProbedRun> {
  const { fast, commander } = await runOnBothPaths({ ...w.env, ...env }, 'status', args, before);
  const bundle = args.includes('--offline') ? STATUS_BUNDLE : ONLINE_BUNDLE;
  expect(fast.loaded, 'the fast path').toContain(bundle);
  expect(fast.loaded, 'the fast path').not.toContain(COMMANDS_BUNDLE);
  expect(commander.loaded, 'commander').toContain(COMMANDS_BUNDLE);
  expect(commander.loaded, 'commander').not.toContain(bundle);
  return fast;
}

/** A world with a static, a session, a protected and a keyless profile, and a state file for some. */
async function busyWorld(): Promise<World> {
  const w = await createWorld({ label: 'status-offline', emulator });
  await w.writeCredentials(
    '[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-a-real-secret\n' +
      '[temp]\naws_access_key_id = ASIAEXAMPLEEXAMPLE12\naws_secret_access_key = s\naws_session_token = t\n' +
      '[bare]\nregion = us-east-1\n',
  );
  await w.writeConfig(
    '[profile guarded]\ncredential_process = "/usr/bin/node" "/opt/keyrot/cli.cjs" credentials --profile guarded\n',
  );
  const now = Date.now();
  const state = {
    version: 1,
    pid: null,
    schedule: null,
    lastCheck: iso(now - DAY),
    nextCheck: null,
    pausedUntil: null,
    profiles: {
      p: {
        keyId: 'AKIA…MPLE',
        ageDays: 95,
        dueAt: iso(now - 5 * DAY),
        lastResult: { at: iso(now - DAY), outcome: 'rotated', message: 'rotated AKIA…OLD1 → AKIA…MPLE' },
        lastNotified: null,
        warnedOn: null,
        failures: 0,
        retryAt: null,
        oldKeyActive: { keyId: 'AKIA…OLD1', until: iso(now + DAY), waiting: false },
      },
      guarded: {
        keyId: 'AKIA…GRD1',
        ageDays: 3,
        dueAt: iso(now + 87 * DAY),
        lastResult: { at: iso(now - DAY), outcome: 'not-due', message: 'not due' },
        lastNotified: null,
        warnedOn: null,
        failures: 0,
        retryAt: null,
        oldKeyActive: { keyId: 'AKIA…GRD0', until: iso(now - DAY), waiting: true },
        protected: true,
      },
    },
  };
  await mkdir(w.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(w.stateDir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
  await writeFile(path.join(w.stateDir, 'pause-until'), `${iso(now + 3_600_000)}\n`, { mode: 0o600 });
  return w;
}

describe('status --offline on the fast path', { concurrent: true }, () => {
  it('prints what commander prints: the table with notes, old keys, the pause, and --json', async () => {
    const w = await busyWorld();
    const table = await sameOnBothPaths(w, ['--offline']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^p\s+static\s+AKIA…MPLE\s+95 d\s+\S+ \(due\)\s+-\s+rotated /m);
    expect(table.stdout).toMatch(/^temp\s+session\s+ASIA…LE12/m);
    expect(table.stdout).toMatch(/^guarded\s+protected\s+-\s+3 d/m);
    expect(table.stdout).toContain('bare: no state recorded yet');
    expect(table.stdout).toContain('p: old key AKIA…OLD1 still active until');
    expect(table.stdout).toContain('guarded: old key AKIA…GRD0 kept active while used');
    expect(table.stdout).toContain(`checks are paused until`);
    expect(table.stdout).toContain(path.join(w.stateDir, 'pause-until'));

    const json = await sameOnBothPaths(w, ['--json', '--offline']);
    const doc = JSON.parse(json.stdout);
    expect(doc.offline).toBe(true);
    expect(doc.pausedUntil).not.toBeNull();
    expect(doc.profiles.map((r: { profile: string }) => r.profile)).toEqual(['p', 'temp', 'bare', 'guarded']);
    expect(doc).not.toHaveProperty('pendingRotations');
    expect(json.stdout).not.toContain('not-a-real-secret');
  });

  it('takes --profile (repeated), the file options and --verbose after the command, as commander does', async () => {
    const w = await busyWorld();
    const elsewhere = await tempDir('status-offline-files');
    const credentials = path.join(elsewhere, 'creds');
    const config = path.join(elsewhere, 'aws-config');
    const settings = path.join(elsewhere, 'keyrot.ini');
    await writeFile(
      credentials,
      '[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = x\n',
    );
    await writeFile(config, '[profile other]\nregion = eu-west-1\n');
    await writeFile(settings, 'max_age_days = 30\n');
    const picked = await sameOnBothPaths(w, ['--offline', '--profile', 'p', '--json', '--profile', 'nobody']);
    expect(JSON.parse(picked.stdout).profiles.map((r: { profile: string }) => r.profile)).toEqual([
      'p',
      'nobody',
    ]);
    const files = await sameOnBothPaths(w, [
      '--offline',
      '--credentials-file',
      credentials,
      '--aws-config-file',
      config,
      '--config',
      settings,
      '--verbose',
    ]);
    expect(files.stdout).toMatch(/^other\s+static\s+AKIA…HER1/m);
    expect(files.stdout).not.toMatch(/^p\s/m);
  });

  it('warns as commander does: no state file, a damaged one, an old key in the environment', async () => {
    const w = await createWorld({ label: 'status-offline', emulator });
    await w.writeCredentials('[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n');
    const env = { AWS_ACCESS_KEY_ID: 'AKIAOLDOLDOLDOLDOLD1' };
    const none = await sameOnBothPaths(w, ['--offline'], env);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('keyrot: warning: AWS_ACCESS_KEY_ID in your environment holds AKIA…OLD1');
    expect(none.stderr).toContain('keyrot: warning: no state recorded yet');
    await mkdir(w.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(w.stateDir, 'state.json'), '{"version": 2', { mode: 0o600 });
    const damaged = await sameOnBothPaths(w, ['--offline', '--json']);
    expect(JSON.parse(damaged.stdout).warnings.join(' ')).toContain('no state recorded yet');
  });

  it('fails as commander does: invalid settings, an unreadable credentials file', async () => {
    const w = await createWorld({ label: 'status-offline', emulator });
    await w.writeKeyrotConfig('notify = maybe\n');
    const settings = await sameOnBothPaths(w, ['--offline']);
    expect(settings.code).toBe(2);
    expect(settings.stderr).toContain(w.keyrotConfigFile);
    expect(settings.stdout).toBe('');
    await w.writeKeyrotConfig('');
    const unreadable = await sameOnBothPaths(w, ['--offline', '--json', '--credentials-file', w.home]);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toContain(`Cannot read ${w.home}: it is a directory.`);
  });

  it('leaves what it does not parse to commander', async () => {
    const w = await busyWorld();
    for (const args of [
      ['status', '--offline', '--profile'],
      ['status', '--offline', '--bogus'],
      ['status', '--offline', 'extra'],
      ['status', '--offline', '--profile=p'],
      ['status', '--offline', '--help'],
    ]) {
      const result = await run(w, args);
      expect(result.loaded, args.join(' ')).not.toContain(STATUS_BUNDLE);
      expect(result.loaded, args.join(' ')).not.toContain(ONLINE_BUNDLE);
    }
    const missing = await run(w, ['status', '--offline', '--profile']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("option '--profile <name>' argument missing");
    const equals = await run(w, ['status', '--offline', '--json', '--profile=p']);
    expect(equals.code, equals.stderr).toBe(0);
    expect(JSON.parse(equals.stdout).profiles).toHaveLength(1);
  });

  it('never opens the keychain', async () => {
    const w = await busyWorld();
    // A session bus that only counts who connects to it.
    const dir = await tempDir('status-offline-bus');
    const socket = path.join(dir, 'bus');
    let connections = 0;
    const bus = createServer((connection) => {
      connections += 1;
      connection.destroy();
    });
    await new Promise<void>((resolve) => bus.listen(socket, resolve));
    try {
      const result = await run(w, ['status', '--offline'], {
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.loaded).toContain(STATUS_BUNDLE);
      expect(connections).toBe(0);
      // The online command does open it (so this bus would have seen a keychain read).
      await run(w, ['status', '--profile', 'p'], { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}` });
      expect(connections).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => bus.close(resolve));
    }
  });
});

describe('status (online) on the fast path', { concurrent: true }, () => {
  it('prints what commander prints: what IAM says, the table and --json, an unreachable IAM', async () => {
    const w = await createWorld({ label: 'status-online', emulator });
    const user = await w.seed('status-fast-user', { keyAgeDays: 100, secondKey: 'inactive' });
    await w.writeCredentials(
      `[p]\naws_access_key_id = ${user.keys[0]!.accessKeyId}\naws_secret_access_key = ${user.keys[0]!.secretAccessKey}\n` +
        '[temp]\naws_access_key_id = ASIAEXAMPLEEXAMPLE12\naws_secret_access_key = s\naws_session_token = t\n',
    );
    // The same endpoint once more before the command: nothing changes but the path.
    const same = ['--endpoint-url', emulator.url];
    const table = await sameOnBothPaths(w, [], {}, same);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^p\s+static\s+AKIA…\w{4}\s+100 d\s+\S+ \(due\)\s+1 active, 1 inactive/m);
    expect(table.stdout).toContain('temp: not rotated: it holds temporary credentials');
    const json = await sameOnBothPaths(w, ['--json', '--profile', 'p'], {}, same);
    const doc = JSON.parse(json.stdout);
    expect(doc.offline).toBe(false);
    expect(doc.profiles[0].keys).toHaveLength(2);
    expect(json.stdout).not.toContain(user.keys[0]!.secretAccessKey);
    const closed = ['--endpoint-url', 'http://127.0.0.1:9'];
    const unreachable = await sameOnBothPaths(
      w,
      ['--profile', 'p', ...closed],
      { KEYROT_AWS_MAX_ATTEMPTS: '1' },
      closed,
    );
    expect(unreachable.stdout).toMatch(/p: \w+/);
  });

  it('asks IAM once per profile it inspects, and STS never', async () => {
    // An emulator of its own: its request counts are this test's alone.
    const own = await startEmulator({ host: '127.0.0.1', port: 0 });
    try {
      const w = await createWorld({ label: 'status-requests', emulator: own });
      const one = await w.seed('status-requests-one', { keyAgeDays: 10 });
      const two = await w.seed('status-requests-two', { keyAgeDays: 200 });
      await w.writeCredentials(
        `[a]\naws_access_key_id = ${one.keys[0]!.accessKeyId}\naws_secret_access_key = ${one.keys[0]!.secretAccessKey}\n` +
          `[b]\naws_access_key_id = ${two.keys[0]!.accessKeyId}\naws_secret_access_key = ${two.keys[0]!.secretAccessKey}\n` +
          '[temp]\naws_access_key_id = ASIAEXAMPLEEXAMPLE12\naws_secret_access_key = s\naws_session_token = t\n',
      );
      const result = await run(w, ['status', '--json']);
      expect(result.code, result.stderr).toBe(0);
      const rows = JSON.parse(result.stdout).profiles as { profile: string; ageDays: number | null }[];
      expect(rows.map((p) => [p.profile, p.ageDays])).toEqual([
        ['a', 10],
        ['b', 200],
        ['temp', null],
      ]);
      expect(own.admin.requestCount('ListAccessKeys')).toBe(2);
      expect(own.admin.requestCount()).toBe(2);
    } finally {
      await own.close();
    }
  });
});
