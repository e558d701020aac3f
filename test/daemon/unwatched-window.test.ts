// The daemon closes the old key's grace window of a profile it does not watch (opened by
// `rotate-now --profile x`), without ever rotating that profile: real `keyrot daemon --once` processes,
// the built CLI, the emulator over HTTP, the journal in the real Secret Service, notifications through
// dunst. The deadline is moved into the past in the journal itself (what an hour of waiting would do).
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { StsApi } from '../../src/aws/clients.js';
import { maskKeyId } from '../../src/errors/redact.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { acquireLock, namedLockPath } from '../../src/lock/index.js';
import { readStateFile } from '../../src/state/state-file.js';
import { stopAtFileEnd } from '../support/cleanup.js';
import { createDaemonWorld, type DaemonWorld } from '../support/daemon-world.js';
import { monitorNotifications, type NotifyMonitor } from '../support/notify-monitor.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, type CliResult } from '../support/run-cli.js';
import { leakedSecrets, profileBlock } from '../support/world.js';

const HOUR_MS = 3_600_000;

interface StatusDoc {
  profiles: { profile: string; oldKeyActive: { keyId: string; until: string; waiting: boolean } | null }[];
  pendingRotations: { phase: string; oldKeyId: string }[] | null;
}

describeWith(
  'secretService',
  'builtCli',
  'notifications',
  'dbusMonitor',
)('the daemon and the grace windows of profiles it does not watch', () => {
  // Worlds and monitors are removed when the file ends (support/world.ts, support/notify-monitor.ts).
  /**
   * A world whose watched profile `dev` holds a fresh key and whose unwatched profile `x` (bob's key, 100
   * days old) was rotated by `rotate-now` with `old_key_active_hours = 1` (`extra`: more top-level settings).
   */
  async function rotatedUnwatched(extra = '') {
    const w = await createDaemonWorld({ keyAgeDays: 5 });
    const bob = await w.seed('bob', { keyAgeDays: 100 });
    const old = bob.keys[0]!;
    const dev = await w.currentKey('dev');
    await w.writeCredentials(`${profileBlock('dev', dev)}${profileBlock('x', old)}`);
    await w.writeConfig('[profile dev]\nregion = us-east-1\n[profile x]\nregion = us-east-1\n');
    // Top-level settings apply to every profile; only [profile dev] makes a profile watched.
    await w.writeKeyrotConfig(`old_key_active_hours = 1\n${extra}[profile dev]\n`);
    const rotated = await w.run(['rotate-now', '--profile', 'x']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const current = await w.currentKey('x');
    expect(current.accessKeyId).not.toBe(old.accessKeyId);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Active');
    return { w, old, current };
  }

  it('leaves the window open before its deadline, closes it at the deadline naming the use, and never rotates x', async () => {
    const { w, old, current } = await rotatedUnwatched();
    const creates = w.emulator.admin.requestCount('CreateAccessKey');

    const before = await w.run(['daemon', '--once']);
    expect(before.code, before.stderr).toBe(0);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Active');
    // The state file keeps x's window for `status --offline` and the daemon's next wake.
    const offline = await statusOf(w, ['status', '--offline', '--json']);
    expect(offline.profiles.find((p) => p.profile === 'x')?.oldKeyActive).toMatchObject({
      keyId: maskKeyId(old.accessKeyId),
      waiting: false,
    });
    const state = await readStateFile(w.stateDir);
    expect(state?.nextCheck).toBe(null); // --once plans nothing
    expect(state?.profiles.x?.oldKeyActive?.until).toBe(
      offline.profiles.find((p) => p.profile === 'x')?.oldKeyActive?.until,
    );

    // An hour later, and a process still signs with the old key after the rewrite.
    const monitor = await dueAndStillUsed(w, old, current);
    const after = await w.run(['daemon', '--once']);
    expect(after.code, after.stderr).toBe(0);

    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Inactive');
    expect(keyStatus(w, 'bob', current.accessKeyId)).toBe('Active');
    expect((await w.currentKey('x')).accessKeyId).toBe(current.accessKeyId);
    expect(w.emulator.admin.requestCount('CreateAccessKey')).toBe(creates);
    await monitor.waitFor(
      `the old key ${maskKeyId(old.accessKeyId)} of profile x was used after the rotation`,
    );
    expect(monitor.text()).toContain('will break that use');

    const online = await statusOf(w, ['status', '--json']);
    expect(online.pendingRotations).toEqual([]);
    expect(online.profiles.find((p) => p.profile === 'x')?.oldKeyActive).toBeNull();
    const offlineAfter = await statusOf(w, ['status', '--offline', '--json']);
    expect(offlineAfter.profiles.find((p) => p.profile === 'x')?.oldKeyActive ?? null).toBeNull();
    // x is still not watched: the daemon recorded no check of its key.
    expect((await readStateFile(w.stateDir))?.profiles.x).toBeUndefined();
    const everything = [await w.leftovers(), monitor.text(), before.stderr, after.stderr].join('\n');
    expect(leakedSecrets(everything, [old.secretAccessKey, current.secretAccessKey])).toEqual([]);
  });

  it('old_key_wait_while_used: keeps a used key active (status shows it waiting), then closes it once no newer use shows', async () => {
    const { w, old, current } = await rotatedUnwatched('old_key_wait_while_used = true\n');
    const monitor = await dueAndStillUsed(w, old, current);

    const first = await w.run(['daemon', '--once']);
    expect(first.code, first.stderr).toBe(0);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Active');
    await monitor.waitFor('keeps it active while it is used (old_key_wait_while_used)');
    for (const args of [
      ['status', '--offline', '--json'],
      ['status', '--json'],
    ]) {
      const doc = await statusOf(w, args);
      expect(doc.profiles.find((p) => p.profile === 'x')?.oldKeyActive, args.join(' ')).toMatchObject({
        keyId: maskKeyId(old.accessKeyId),
        waiting: true,
      });
    }

    const second = await w.run(['daemon', '--once']);
    expect(second.code, second.stderr).toBe(0);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Inactive');
    expect((await w.currentKey('x')).accessKeyId).toBe(current.accessKeyId);
    // Told once: the second look found no newer use.
    expect(monitor.text().split('of profile x was used after the rotation').length - 1).toBe(1);
  });

  it('rotate-now and the daemon racing at the deadline close the window once (both queued on the key lock)', async () => {
    const { w, old, current } = await rotatedUnwatched('log_level = debug\n');
    const monitor = await dueAndStillUsed(w, old, current);
    const updates = w.emulator.admin.requestCount('UpdateAccessKey');
    const lookups = w.emulator.admin.requestCount('GetAccessKeyLastUsed');
    // Both queue behind the lock; rotate-now is given a moment to get there too.
    const { daemon: daemonRun, other } = await whileDaemonWaits(
      w,
      old.accessKeyId,
      ['rotate-now', '--profile', 'x'],
      () => new Promise((resolve) => setTimeout(resolve, 1_500)),
    );
    const rotateRun = other!;
    expect(daemonRun.code, daemonRun.stderr).toBe(0);
    expect(rotateRun.code, rotateRun.stderr).toBe(0);
    expect(rotateRun.stderr).toContain(`another rotation of key ${maskKeyId(old.accessKeyId)} is running`);

    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Inactive');
    expect((await w.currentKey('x')).accessKeyId).toBe(current.accessKeyId);
    expect(w.emulator.admin.requestCount('UpdateAccessKey') - updates).toBe(1);
    expect(w.emulator.admin.requestCount('GetAccessKeyLastUsed') - lookups).toBe(1);
    expect((await readFile(w.logFile, 'utf8')).split('grace window closed').length - 1).toBe(1);
    await monitor.waitFor('of profile x was used after the rotation');
    // Give a second, wrong notification time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(monitor.text().split('of profile x was used after the rotation').length - 1).toBe(1);
    expect((await statusOf(w, ['status', '--json'])).pendingRotations).toEqual([]);
    expect((await readStateFile(w.stateDir))?.profiles.x?.oldKeyActive ?? null).toBeNull();
  });

  it('a window another run closes while the daemon waits for its lock is not closed again', async () => {
    const { w, old, current } = await rotatedUnwatched('log_level = debug\n');
    await moveDeadline(w, current.accessKeyId);
    const updates = w.emulator.admin.requestCount('UpdateAccessKey');
    const lookups = w.emulator.admin.requestCount('GetAccessKeyLastUsed');
    // The holder of the lock closes the window (its journal entry goes) while the daemon waits.
    const { daemon: run } = await whileDaemonWaits(w, old.accessKeyId, null, () =>
      finishWindow(w, current.accessKeyId),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(w.emulator.admin.requestCount('GetAccessKeyLastUsed') - lookups).toBe(0);
    expect(w.emulator.admin.requestCount('UpdateAccessKey') - updates).toBe(0);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Active');
    expect((await w.currentKey('x')).accessKeyId).toBe(current.accessKeyId);
    expect((await readStateFile(w.stateDir))?.profiles.x).toBeUndefined();
  });

  it('a daemon killed while it closes the window leaves it for the next pass, which closes it without telling twice', async () => {
    const { w, old, current } = await rotatedUnwatched();
    const monitor = await dueAndStillUsed(w, old, current);
    const creates = w.emulator.admin.requestCount('CreateAccessKey');
    const updates = w.emulator.admin.requestCount('UpdateAccessKey');
    // Each answer comes late, so the daemon is surely still waiting for the deactivation's when killed.
    w.emulator.admin.setLatencyMs(1_500);
    const daemon = stopAtFileEnd(
      spawn(process.execPath, [CLI_PATH, 'daemon', '--once'], { env: w.env, stdio: 'ignore' }),
    );
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    await waitUntil(async () => w.emulator.admin.requestCount('UpdateAccessKey') > updates);
    daemon.kill('SIGKILL');
    await exited;
    w.emulator.admin.setLatencyMs(0);
    // IAM deactivated the key, but the journal still holds the window: the close did not finish.
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Inactive');
    expect((await statusOf(w, ['status', '--json'])).pendingRotations).toMatchObject([{ phase: 'retiring' }]);

    const next = await w.run(['daemon', '--once']);
    expect(next.code, next.stderr).toBe(0);
    expect((await statusOf(w, ['status', '--json'])).pendingRotations).toEqual([]);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Inactive');
    expect((await w.currentKey('x')).accessKeyId).toBe(current.accessKeyId);
    expect(w.emulator.admin.requestCount('CreateAccessKey')).toBe(creates);
    expect((await readStateFile(w.stateDir))?.profiles.x).toBeUndefined();
    // The use was told before the kill; the next pass remembered it (the journal) and did not repeat it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(monitor.text().split('of profile x was used after the rotation').length - 1).toBe(1);
  });

  it('closes a window whose new key no profile holds any more (the files edited by hand), naming the profile that opened it', async () => {
    const { w, old, current } = await rotatedUnwatched();
    const monitor = await dueAndStillUsed(w, old, current);
    // x is gone from both files: only the journal still knows the window.
    await w.writeCredentials(profileBlock('dev', await w.currentKey('dev')));
    await w.writeConfig('[profile dev]\nregion = us-east-1\n');
    const run = await w.run(['daemon', '--once']);
    expect(run.code, run.stderr).toBe(0);
    expect(keyStatus(w, 'bob', old.accessKeyId)).toBe('Inactive');
    expect(keyStatus(w, 'bob', current.accessKeyId)).toBe('Active');
    expect((await statusOf(w, ['status', '--json'])).pendingRotations).toEqual([]);
    await monitor.waitFor(
      `the old key ${maskKeyId(old.accessKeyId)} of profile x was used after the rotation`,
    );
  });
});

/**
 * Holds the lock of `oldKeyId`'s window, as a third keyrot would, while `keyrot daemon --once` (and
 * `alsoRun`, when given) start; once the daemon's worker logs that it waits for that lock (a debug line),
 * runs `meanwhile`, then lets go. Returns the daemon's result and `alsoRun`'s.
 */
async function whileDaemonWaits(
  w: DaemonWorld,
  oldKeyId: string,
  alsoRun: string[] | null,
  meanwhile: () => Promise<unknown>,
): Promise<{ daemon: CliResult; other: CliResult | null }> {
  const lockDir = join(w.stateDir, 'locks');
  await mkdir(lockDir, { recursive: true, mode: 0o700 });
  const release = await acquireLock(namedLockPath(lockDir, 'key', oldKeyId), { purpose: 'test' });
  const runs: Promise<CliResult>[] = [];
  try {
    runs.push(w.run(['daemon', '--once']));
    if (alsoRun) runs.push(w.run(alsoRun));
    await waitUntil(async () =>
      (await readFile(w.logFile, 'utf8').catch(() => '')).includes(
        `wait: another rotation of key ${maskKeyId(oldKeyId)} is running`,
      ),
    );
    await meanwhile();
  } finally {
    await release();
  }
  const [daemon, other] = await Promise.all(runs);
  return { daemon: daemon!, other: other ?? null };
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the daemon to queue on the lock');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The status of one of `user`'s keys in the emulator. */
function keyStatus(w: DaemonWorld, user: string, keyId: string): string | undefined {
  return w.emulator.admin.keys(user).find((k) => k.accessKeyId === keyId)?.status;
}

async function statusOf(w: DaemonWorld, args: string[]): Promise<StatusDoc> {
  const run = await w.run(args);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as StatusDoc;
}

/** The window of `current`'s rotation at its deadline, the old key used since: a monitor of the notifications from now on. */
async function dueAndStillUsed(
  w: DaemonWorld,
  old: { accessKeyId: string; secretAccessKey: string },
  current: { accessKeyId: string },
): Promise<NotifyMonitor> {
  await moveDeadline(w, current.accessKeyId);
  await signWith(w, old);
  return monitorNotifications();
}

/** Moves the window of the rotation that created `newKeyId` as an hour of waiting would: rewritten 2 h ago, due a minute ago. */
async function moveDeadline(w: DaemonWorld, newKeyId: string): Promise<void> {
  const keychain = await openKeychain({ env: w.env, stateDir: w.stateDir });
  try {
    const journal = new RotationJournal(keychain.values, { emptyRecord: null });
    const entry = await journal.find(newKeyId);
    expect(entry?.phase).toBe('retiring');
    const now = Date.now();
    await journal.openWindow(entry!, {
      rewrittenAt: new Date(now - 2 * HOUR_MS).toISOString(),
      retireAt: new Date(now - 60_000).toISOString(),
    });
  } finally {
    await keychain.close?.();
  }
}

/** Removes the journal entry of the rotation that created `newKeyId`, as a run closing its window does. */
async function finishWindow(w: DaemonWorld, newKeyId: string): Promise<void> {
  const keychain = await openKeychain({ env: w.env, stateDir: w.stateDir });
  try {
    const journal = new RotationJournal(keychain.values, { emptyRecord: null });
    await journal.finish((await journal.find(newKeyId))!);
  } finally {
    await keychain.close?.();
  }
}

/** A process still using `key` (a signed STS call the emulator records as the key's last use). */
async function signWith(
  w: DaemonWorld,
  key: { accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  const url = w.emulator.url;
  const sts = new StsApi({ region: 'us-east-1', iamEndpoint: url, stsEndpoint: url });
  try {
    await sts.getCallerIdentity(key);
  } finally {
    sts.destroy();
  }
}
