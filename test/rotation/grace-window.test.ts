// The old key's grace window (old_key_active_hours) over the real emulator and SDK, with keyrot's clock
// moved to the deadline: the journal keeps the deadline across runs (each run builds its deps afresh, as
// a new process would), a use of the old key after the rotation is reported with its service, region and
// time, and the key is deactivated at the deadline (or kept while used, with old_key_wait_while_used).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StsApi } from '../../src/aws/clients.js';
import type { ProfileSettings } from '../../src/config/settings.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import type { Notification } from '../../src/notify/notifier.js';
import { rotateProfile } from '../../src/rotation/rotate-profile.js';
import { systemClock } from '../../src/time/clock.js';
import { createWorld } from '../support/world.js';
import { crashAt, engineDeps, worldFiles } from './engine-deps.js';

const HOUR_MS = 3_600_000;
const request = { profile: 'p', force: false, deleteOther: false, dryRun: false };
const block = (k: { accessKeyId: string; secretAccessKey: string }) =>
  `[p]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`;

describe('the old key grace window', () => {
  let emulator: RunningEmulator;
  let users = 0;
  // The emulator's clock runs ahead while a test uses an old key (within the 15 minutes of signing skew
  // AWS allows): the use then comes later than keyrot's own calls, without a real wait.
  let emulatorAheadMs = 0;
  beforeAll(async () => {
    const clock = { now: () => new Date(Date.now() + emulatorAheadMs), sleep: systemClock.sleep };
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, clock });
  });
  afterAll(async () => emulator?.close());

  /** A user with a due key in profile p, and a way to run keyrot at a moved clock. */
  async function setup(policy: Partial<ProfileSettings> = { oldKeyActiveHours: 2 }) {
    const user = await emulator.admin.seedUser({ user: `g${++users}`, keyAgeDays: 120 });
    const world = await createWorld({ label: 'grace', emulator });
    await world.writeCredentials(block(user.keys[0]!));
    const files = worldFiles(world);
    const store = new MemorySecretStore();
    const notifications: Notification[] = [];
    const run = (offsetMs = 0, extra: Partial<typeof request> = {}, crash?: [number, 'before' | 'after']) => {
      const deps = engineDeps(emulator, store, files, policy);
      // A waiting retry moves this clock instead of sleeping.
      let slept = 0;
      deps.clock = {
        now: () => new Date(Date.now() + offsetMs + slept),
        sleep: async (ms) => {
          slept += ms;
        },
      };
      deps.notifier = { notify: async (n) => void notifications.push(n) };
      const calls = crash ? crashAt(deps, ...crash).calls : [];
      return Object.assign(rotateProfile({ ...request, ...extra }, deps), { calls });
    };
    const status = (keyId: string) =>
      emulator.admin.keys(user.user).find((k) => k.accessKeyId === keyId)?.status ?? 'gone';
    const journal = () => engineDeps(emulator, store, files).journal.survey();
    return { user, old: user.keys[0]!, world, run, status, journal, notifications };
  }

  /**
   * A signed request with the old key, as a process still holding it would make, `laterMs` after now
   * (past the minute after the rewrite in which keyrot cannot tell a use from its own calls).
   */
  async function useKey(key: { accessKeyId: string; secretAccessKey: string }, laterMs = 90_000) {
    emulatorAheadMs = laterMs;
    const options = { region: 'eu-west-1', iamEndpoint: emulator.url, stsEndpoint: emulator.url };
    const sts = new StsApi({ ...options, maxAttempts: 1 });
    try {
      return await sts.getCallerIdentity(key);
    } finally {
      emulatorAheadMs = 0;
      sts.destroy();
    }
  }

  it('keeps the old key active until the deadline, recorded in the journal, then deactivates it unannounced when unused', async () => {
    const { old, run, status, journal, notifications } = await setup();
    const started = Date.now();
    const rotated = await run();
    expect(rotated).toMatchObject({ outcome: 'rotated', oldKeyAction: 'kept-active' });
    const until = Date.parse(rotated.oldKeyWindow!.until);
    expect(until - started).toBeGreaterThanOrEqual(2 * HOUR_MS);
    expect(until - Date.now()).toBeLessThanOrEqual(2 * HOUR_MS);
    expect(status(old.accessKeyId)).toBe('Active');
    const { entries } = await journal();
    expect(entries).toMatchObject([
      { oldKeyId: old.accessKeyId, phase: 'retiring', retireAt: rotated.oldKeyWindow!.until },
    ]);

    const early = await run(HOUR_MS);
    expect(early).toMatchObject({ outcome: 'not-due', oldKeyWindow: { state: 'open' } });
    expect(status(old.accessKeyId)).toBe('Active');

    const late = await run(2 * HOUR_MS + 60_000);
    expect(late).toMatchObject({
      outcome: 'not-due',
      oldKeyWindow: { keyId: old.accessKeyId, state: 'closed' },
    });
    expect(status(old.accessKeyId)).toBe('Inactive');
    expect((await journal()).entries).toEqual([]);
    expect(notifications).toEqual([]);
    expect(late.warnings).toBeUndefined();
  });

  it('names the service, region and time of a use after the rotation, then deactivates at the deadline', async () => {
    const { old, user, run, status, journal, notifications } = await setup();
    await run();
    await useKey(old);
    const usedAt = emulator.admin.keys(user.user).find((k) => k.accessKeyId === old.accessKeyId)!.lastUsed!;
    expect(usedAt).toMatchObject({ serviceName: 'sts', region: 'eu-west-1' });
    const late = await run(2 * HOUR_MS + 60_000);
    expect(status(old.accessKeyId)).toBe('Inactive');
    expect(late.oldKeyWindow?.state).toBe('closed');
    expect(notifications).toHaveLength(1);
    const body = notifications[0]!.body;
    expect(body).toContain('by sts in eu-west-1');
    expect(body).toContain(`at ${usedAt.date.replace('T', ' ').slice(0, 19)} UTC`);
    expect(body).toContain('break');
    expect(body).not.toContain(old.accessKeyId);
    expect(late.warnings?.[0]).toBe(body);
    expect((await journal()).entries).toEqual([]);
  });

  it('tells of a use once, even when retiring the key fails and a later run retires it', async () => {
    const { old, user, run, status, notifications } = await setup();
    await run();
    await useKey(old);
    emulator.admin.addFault('UpdateAccessKey:500:always');
    try {
      await expect(run(2 * HOUR_MS + 60_000)).rejects.toThrow();
    } finally {
      emulator.admin.clearFaults();
    }
    expect(status(old.accessKeyId)).toBe('Active');
    expect(notifications).toHaveLength(1);
    const later = await run(2 * HOUR_MS + 120_000);
    expect(later.oldKeyWindow?.state).toBe('closed');
    expect(status(old.accessKeyId)).toBe('Inactive');
    expect(notifications).toHaveLength(1);
    expect(emulator.admin.keys(user.user)).toHaveLength(2);
  });

  it('with old_key_wait_while_used keeps a used key active past the deadline until a look finds no newer use', async () => {
    const { old, run, status, notifications } = await setup({
      oldKeyActiveHours: 1,
      oldKeyWaitWhileUsed: true,
    });
    await run();
    await useKey(old);
    const first = await run(HOUR_MS + 60_000);
    expect(first.oldKeyWindow?.state).toBe('waiting');
    expect(status(old.accessKeyId)).toBe('Active');
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.body).toContain('keeps it active while it is used');

    await useKey(old, 95_000);
    const second = await run(2 * HOUR_MS);
    expect(second.oldKeyWindow?.state).toBe('waiting');
    expect(status(old.accessKeyId)).toBe('Active');

    const third = await run(3 * HOUR_MS);
    expect(third.oldKeyWindow?.state).toBe('closed');
    expect(status(old.accessKeyId)).toBe('Inactive');
  });

  it('a rotation due during the window retires an unused old key first, keeping two keys at most', async () => {
    const { old, user, world, run, status, journal } = await setup();
    const first = await run();
    const second = await run(60_000, { force: true });
    expect(second).toMatchObject({
      outcome: 'rotated',
      oldKeyId: first.newKeyId,
      oldKeyAction: 'kept-active',
    });
    expect(second.otherKeyAction).toBe('deleted-inactive');
    expect(status(old.accessKeyId)).toBe('gone');
    const keys = emulator.admin.keys(user.user).map((k) => `${k.accessKeyId} ${k.status}`);
    expect(keys.sort()).toEqual([`${first.newKeyId} Active`, `${second.newKeyId} Active`].sort());
    expect(await world.readCredentials()).toContain(second.newKeyId!);
    expect((await journal()).entries.map((e) => e.oldKeyId)).toEqual([first.newKeyId]);
  });

  it('refuses a rotation during the window while the old key is still used, changing nothing', async () => {
    const { old, user, world, run, status, journal } = await setup();
    await run();
    await useKey(old);
    const before = await world.readCredentials();
    const error = await run(60_000, { force: true }).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'OTHER_KEY_ACTIVE')).toBe(true);
    expect((error as Error).message).toContain('by sts in eu-west-1');
    expect(status(old.accessKeyId)).toBe('Active');
    expect(emulator.admin.keys(user.user)).toHaveLength(2);
    expect(await world.readCredentials()).toBe(before);
    expect((await journal()).entries).toMatchObject([{ oldKeyId: old.accessKeyId, phase: 'retiring' }]);
  });

  it('sees no use IAM has not reported yet (the emulator delays last use as IAM does)', async () => {
    const { old, run, status, notifications } = await setup();
    await run();
    emulator.admin.setLastUsedDelayMs(10 * 60_000);
    try {
      await useKey(old);
      await run(2 * HOUR_MS + 60_000);
    } finally {
      emulator.admin.setLastUsedDelayMs(0);
    }
    expect(status(old.accessKeyId)).toBe('Inactive');
    expect(notifications).toEqual([]);
  });

  /**
   * At every instant: the profile's key works, the user has at most two keys, and every key is held by
   * the file or the journal; an old key still active once the file changed has a `retiring` entry.
   */
  async function checkInvariants(setupOf: Awaited<ReturnType<typeof setup>>, where: string) {
    const { user, old, world, journal } = setupOf;
    const current = await world.currentKey('p');
    const sts = new StsApi({ region: 'us-east-1', iamEndpoint: emulator.url, stsEndpoint: emulator.url });
    try {
      expect((await sts.getCallerIdentity(current)).arn, where).toContain(`user/${user.user}`);
    } finally {
      sts.destroy();
    }
    const { entries } = await journal();
    const keys = emulator.admin.keys(user.user);
    expect(keys.length, where).toBeLessThanOrEqual(2);
    // The replaced key stays as a way back (inactive once its window closed), as without a window.
    const held = new Set([
      current.accessKeyId,
      old.accessKeyId,
      ...entries.flatMap((e) => [e.oldKeyId, e.newKeyId]),
    ]);
    for (const key of keys)
      expect(held.has(key.accessKeyId), `${where}: orphan ${key.accessKeyId}`).toBe(true);
    const retiring = entries.some((e) => e.phase === 'retiring' && e.oldKeyId === old.accessKeyId);
    // Once the file holds the new key, an active old key always has its deadline on record (a crash
    // between deactivating it and removing the entry leaves the entry; the next run removes it).
    if (current.accessKeyId !== old.accessKeyId && !entries.some((e) => e.phase !== 'retiring')) {
      const active = keys.find((k) => k.accessKeyId === old.accessKeyId)?.status === 'Active';
      if (active) expect(retiring, `${where}: an active old key without its deadline`).toBe(true);
    }
  }

  it('survives a crash at every port call of the rotation and of the close at the deadline', async () => {
    const probe = await setup();
    const rotation = probe.run(0, {}, [Number.POSITIVE_INFINITY, 'after']);
    await rotation;
    const close = probe.run(2 * HOUR_MS + 60_000, {}, [Number.POSITIVE_INFINITY, 'after']);
    await close;
    expect(rotation.calls.length).toBeGreaterThan(8);
    expect(close.calls.length).toBeGreaterThan(3);
    for (const [phase, count] of [
      ['rotation', rotation.calls.length],
      ['close', close.calls.length],
    ] as const) {
      for (let n = 1; n <= count; n += 1) {
        for (const when of ['before', 'after'] as const) {
          const where = `crash ${when} call ${n} of the ${phase}`;
          const world = await setup();
          if (phase === 'close') await world.run();
          const offset = phase === 'close' ? 2 * HOUR_MS + 60_000 : 0;
          await world.run(offset, {}, [n, when]).catch(() => undefined);
          await checkInvariants(world, where);
          await world.run(offset);
          await checkInvariants(world, `${where}, re-run`);
          await world.run(2 * HOUR_MS + 60_000);
          await checkInvariants(world, `${where}, at the deadline`);
          expect(world.status(world.old.accessKeyId), where).toBe('Inactive');
          expect((await world.journal()).entries, where).toEqual([]);
        }
      }
    }
  });
});
