import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, backoffDelayMs } from '../../src/daemon/backoff.js';
import { Daemon, localDay, passExitCode } from '../../src/daemon/daemon.js';
import type { CheckReport, CloseOtherWindows } from '../../src/daemon/ports.js';
import { parseSchedule } from '../../src/daemon/schedule.js';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import type { Notification } from '../../src/notify/notifier.js';
import { emptyProfileState, emptyState } from '../../src/state/state-shape.js';
import { FakeClock } from './fake-clock.js';
import { memoryStateStore } from './memory-state-store.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A not-due report for a key `ageDays` old under the default policy (90 days, warn 7 before). */
function keyAged(ageDays: number, now: Date): CheckReport {
  const dueAt = new Date(now.getTime() + (90 - ageDays) * DAY);
  return {
    kind: 'checked',
    keyId: 'AKIA…AAAA',
    ageDays,
    dueAt,
    warnFrom: new Date(dueAt.getTime() - 7 * DAY),
  };
}

function rotated(now: Date, n = 1): CheckReport {
  return {
    kind: 'rotated',
    oldKeyId: 'AKIA…AAAA',
    newKeyId: `AKIA…BBB${n}`,
    oldKeyAction: 'deactivated',
    ageDays: 0,
    dueAt: new Date(now.getTime() + 90 * DAY),
    resumed: false,
  };
}

type Behaviour = (profile: string, now: Date, call: number) => CheckReport | Promise<CheckReport>;

function harness(
  behaviour: Behaviour,
  options: {
    start?: Date;
    schedule?: string;
    profiles?: string[];
    closeOtherWindows?: CloseOtherWindows;
  } = {},
) {
  // 10:05 local on a fixed day; the schedule runs hourly at :17.
  const clock = new FakeClock(options.start ?? new Date(2026, 10, 25, 10, 5, 0));
  const schedule = parseSchedule(options.schedule ?? '17 * * * *');
  const notes: Notification[] = [];
  const calls: { profile: string; at: Date }[] = [];
  const logs: string[] = [];
  const stateFile = memoryStateStore();
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) =>
    logs.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
  const make = () =>
    new Daemon({
      profiles: options.profiles ?? ['dev'],
      schedule,
      checkProfile: async (profile) => {
        calls.push({ profile, at: clock.now() });
        return behaviour(profile, clock.now(), calls.length);
      },
      ...(options.closeOtherWindows ? { closeOtherWindows: options.closeOtherWindows } : {}),
      notifier: { notify: async (note) => void notes.push(note) },
      logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
      clock,
      timers: clock,
      store: stateFile.store,
      pid: 4242,
    });
  return { clock, notes, calls, logs, make, saved: stateFile.saved, store: stateFile.store };
}

describe('daemon scheduling', () => {
  it('checks at start, records pid, last and next check, then checks on the schedule', async () => {
    const h = harness((_p, now) => keyAged(10, now));
    const daemon = h.make();
    await daemon.start();
    expect(h.calls).toHaveLength(1);
    const state = h.saved()!;
    expect(state.pid).toBe(4242);
    expect(state.schedule).toBe('17 * * * *');
    expect(state.lastCheck).toBe(new Date(2026, 10, 25, 10, 5).toISOString());
    expect(state.nextCheck).toBe(new Date(2026, 10, 25, 10, 17).toISOString());
    expect(state.profiles.dev).toMatchObject({ keyId: 'AKIA…AAAA', ageDays: 10 });
    expect(state.profiles.dev?.lastResult?.outcome).toBe('not-due');

    await h.clock.advance(11 * MIN);
    expect(h.calls).toHaveLength(1);
    await h.clock.advance(1 * MIN);
    expect(h.calls.map((c) => c.at)).toEqual([new Date(2026, 10, 25, 10, 5), new Date(2026, 10, 25, 10, 17)]);
    await h.clock.advance(3 * HOUR);
    expect(h.calls).toHaveLength(5);
    expect(h.notes).toEqual([]);
    await daemon.stop();
  });

  it("wakes at an old key's grace-window deadline between scheduled checks, once", async () => {
    // Daily checks at 03:00; the old key's window ends at 10:40 (old_key_active_hours).
    const until = new Date(2026, 10, 25, 10, 40).toISOString();
    const h = harness(
      (_p, now, call) => ({
        ...keyAged(0, now),
        oldKeyWindow: { keyId: 'AKIA…OLD1', until, state: call === 1 ? 'open' : 'closed' },
      }),
      { schedule: '0 3 * * *' },
    );
    const daemon = h.make();
    await daemon.start();
    expect(h.saved()!.profiles.dev?.oldKeyActive).toEqual({ keyId: 'AKIA…OLD1', until, waiting: false });
    expect(h.saved()!.nextCheck).toBe(until);
    await h.clock.advance(34 * MIN);
    expect(h.calls).toHaveLength(1);
    await h.clock.advance(2 * MIN);
    expect(h.calls.map((c) => c.at)).toEqual([new Date(2026, 10, 25, 10, 5), new Date(2026, 10, 25, 10, 40)]);
    expect(h.saved()!.profiles.dev?.oldKeyActive).toBeNull();
    expect(h.saved()!.nextCheck).toBe(new Date(2026, 10, 26, 3, 0).toISOString());
    await h.clock.advance(3 * HOUR);
    expect(h.calls).toHaveLength(2);
    await daemon.stop();
  });

  it("wakes at the deadline of an unwatched profile's window, closes it there without checking that profile, then forgets it", async () => {
    // Daily checks at 03:00; `rotate-now --profile x` (x not watched) left its old key active until 10:40.
    const until = new Date(2026, 10, 25, 10, 40).toISOString();
    const asked: { watched: string[]; at: Date }[] = [];
    const h = harness((_p, now) => keyAged(3, now), {
      schedule: '0 3 * * *',
      closeOtherWindows: async (watched) => {
        asked.push({ watched, at: h.clock.now() });
        const state = h.clock.now().getTime() < Date.parse(until) ? 'open' : 'closed';
        return [{ profile: 'x', result: { ok: true, window: { keyId: 'AKIA…OLD2', until, state } } }];
      },
    });
    const recorded = { ...emptyProfileState(), oldKeyActive: { keyId: 'AKIA…OLD2', until, waiting: false } };
    await h.store.save({ ...emptyState(), profiles: { x: recorded, gone: emptyProfileState() } });
    const daemon = h.make();
    await daemon.start();
    // x kept for `status --offline` (a profile without a window, like `gone`, is dropped as before).
    expect(Object.keys(h.saved()!.profiles).sort()).toEqual(['dev', 'x']);
    expect(h.saved()!.profiles.x?.oldKeyActive).toEqual({ keyId: 'AKIA…OLD2', until, waiting: false });
    expect(h.saved()!.nextCheck).toBe(until);
    await h.clock.advance(36 * MIN);
    expect(asked.map((a) => a.at)).toEqual([new Date(2026, 10, 25, 10, 5), new Date(2026, 10, 25, 10, 40)]);
    expect(asked.every((a) => a.watched.join() === 'dev')).toBe(true);
    // Only the watched profile is ever checked (rotated when due): x only gets its window closed.
    expect(h.calls.map((c) => c.profile)).toEqual(['dev']);
    expect(h.saved()!.profiles.x).toBeUndefined();
    expect(h.saved()!.nextCheck).toBe(new Date(2026, 10, 26, 3, 0).toISOString());
    await daemon.stop();
  });

  it("an unwatched profile's window that cannot be closed stays recorded with the reason, fails --once, and the schedule retries it", async () => {
    const until = new Date(2026, 10, 25, 9, 0).toISOString();
    const h = harness((_p, now) => keyAged(3, now), {
      closeOtherWindows: async () => [
        { profile: 'x', result: { ok: false, error: new KeyrotError('MFA_REQUIRED', 'IAM asks for MFA') } },
      ],
    });
    const recorded = { ...emptyProfileState(), oldKeyActive: { keyId: 'AKIA…OLD2', until, waiting: false } };
    await h.store.save({ ...emptyState(), profiles: { x: recorded } });
    const results = await h.make().runPass('once');
    expect(results.map((r) => [r.profile, r.result.ok])).toEqual([
      ['dev', true],
      ['x', false],
    ]);
    expect(passExitCode(results)).toBe(5);
    const x = h.saved()!.profiles.x!;
    expect(x.oldKeyActive).toEqual(recorded.oldKeyActive);
    expect(x.lastResult).toMatchObject({ outcome: 'needs-person', code: 'MFA_REQUIRED' });
    expect(h.logs.some((l) => l.startsWith("warn x: old key's grace window not closed"))).toBe(true);

    // The whole survey failing (keychain locked…) keeps what was recorded, and is counted too.
    const broken = harness((_p, now) => keyAged(3, now), {
      closeOtherWindows: async () => {
        throw new KeyrotError('KEYCHAIN_UNAVAILABLE', 'no Secret Service');
      },
    });
    await broken.store.save({ ...emptyState(), profiles: { x: recorded } });
    const failed = await broken.make().runPass('once');
    expect(passExitCode(failed)).toBe(5);
    expect(broken.saved()!.profiles.x?.oldKeyActive).toEqual(recorded.oldKeyActive);
  });

  it('never sleeps longer than one coarse tick, and idles with a single timer', async () => {
    const h = harness((_p, now) => keyAged(10, now), { schedule: '0 3 * * *' });
    const daemon = h.make();
    await daemon.start();
    await h.clock.advance(2 * HOUR);
    expect(Math.max(...h.clock.armed)).toBe(60_000);
    expect(h.clock.pending).toBe(1);
    expect(h.clock.armed.length).toBeLessThanOrEqual(2 * 60 + 1);
    await daemon.stop();
    expect(h.clock.pending).toBe(0);
  });

  it('after sleeping through the scheduled time, checks within a tick of waking', async () => {
    const h = harness((_p, now) => keyAged(10, now));
    const daemon = h.make();
    await daemon.start(); // 10:05
    await h.clock.advance(5 * MIN); // 10:10, awake
    h.clock.suspend(3 * HOUR); // lid closed until 13:10: 11:17, 12:17 and 13:17? no: 11:17 and 12:17 missed
    await h.clock.advance(60_000);
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]!.at.getTime()).toBeLessThanOrEqual(new Date(2026, 10, 25, 13, 11).getTime());
    expect(h.logs.some((line) => line.includes('the machine slept'))).toBe(true);
    // One check for all the missed slots, then the schedule resumes at 13:17.
    expect(h.saved()!.nextCheck).toBe(new Date(2026, 10, 25, 13, 17).toISOString());
    await daemon.stop();
  });

  it('checks after a wake even when no scheduled time was missed, but not after a short nap', async () => {
    const h = harness((_p, now) => keyAged(10, now), { schedule: '0 */6 * * *' }); // 12:00, 18:00
    const daemon = h.make();
    await daemon.start(); // 10:05
    h.clock.suspend(2 * MIN); // a 2-minute nap right after a check: no extra check
    await h.clock.advance(60_000);
    expect(h.calls).toHaveLength(1);
    await h.clock.advance(10 * MIN);
    h.clock.suspend(40 * MIN); // 10:18 → 10:58 asleep
    await h.clock.advance(60_000);
    expect(h.calls).toHaveLength(2);
    await daemon.stop();
  });

  it('re-plans when the wall clock is set back, instead of waiting for the old time', async () => {
    const h = harness((_p, now) => keyAged(10, now));
    const daemon = h.make();
    await daemon.start(); // 10:05, next 10:17
    h.clock.suspend(-2 * HOUR); // the clock is set back to 08:05
    await h.clock.advance(13 * MIN); // 08:18: 08:17 has passed on the new clock
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]!.at).toEqual(new Date(2026, 10, 25, 8, 17));
    await daemon.stop();
  });

  it('stop cancels the timer, waits for the check in progress and clears the pid', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = harness(async (_p, now, call) => {
      if (call === 2) await gate;
      return keyAged(10, now);
    });
    const daemon = h.make();
    await daemon.start();
    const pass = daemon.runPass('schedule');
    while (h.calls.length < 2) await new Promise((resolve) => setImmediate(resolve));
    let stopped = false;
    const stopping = daemon.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await pass).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
    expect(h.saved()!.pid).toBeNull();
    expect(h.saved()!.profiles.dev?.lastResult?.outcome).toBe('not-due');
  });
});

describe('daemon policy', () => {
  it('rotates a due key, notifies once, and a restarted daemon does not notify again', async () => {
    let rotatedOnce = false;
    const h = harness((_p, now) => {
      if (rotatedOnce) return keyAged(0, now);
      rotatedOnce = true;
      return rotated(now);
    });
    const first = h.make();
    await first.start();
    expect(h.notes).toEqual([
      {
        title: 'keyrot: rotated dev',
        body: 'Rotated key for profile dev (AKIA…AAAA → AKIA…BBB1); old key deactivated',
        urgency: 'low',
      },
    ]);
    expect(h.saved()!.profiles.dev).toMatchObject({ keyId: 'AKIA…BBB1', ageDays: 0 });
    expect(h.saved()!.profiles.dev?.lastResult?.outcome).toBe('rotated');
    await first.stop();
    const second = h.make();
    await second.start();
    await second.stop();
    expect(h.notes).toHaveLength(1);
  });

  it('does not repeat a rotation notice when a restart reports the same rotation (journal resume)', async () => {
    const h = harness((_p, now) => rotated(now));
    const first = h.make();
    await first.runPass('once');
    const second = h.make();
    await second.runPass('once');
    expect(h.notes).toHaveLength(1);
  });

  it('warns warn_days before the due date at most once a day, across restarts', async () => {
    const h = harness((_p, now) => keyAged(85, now));
    const daemon = h.make();
    await daemon.start();
    expect(h.notes).toEqual([
      {
        title: 'keyrot: dev due soon',
        body: 'Key for profile dev is 85 days old; rotation in 5 days',
        urgency: 'normal',
      },
    ]);
    expect(h.saved()!.profiles.dev?.lastResult?.outcome).toBe('due-soon');
    await h.clock.advance(5 * HOUR);
    await daemon.stop();
    await h.make().runPass('start');
    expect(h.notes).toHaveLength(1);
    const next = h.make();
    await next.start();
    await h.clock.advance(DAY);
    expect(h.notes).toHaveLength(2);
    expect(h.saved()!.profiles.dev?.warnedOn).toBe(localDay(h.clock.now()));
    await next.stop();
  });

  it('backs off exponentially on offline errors, capped at the schedule interval, and stays quiet while not due', async () => {
    const h = harness(
      () => {
        throw new KeyrotError('AWS_UNREACHABLE', 'cannot reach IAM at https://iam.amazonaws.com');
      },
      { schedule: '0 */2 * * *' }, // 12:00, 14:00…: the backoff cap is two hours
    );
    const daemon = h.make();
    await daemon.start(); // 10:05, fails
    await h.clock.advance(10 * HOUR);
    const gaps = h.calls.slice(1).map((c, i) => (c.at.getTime() - h.calls[i]!.at.getTime()) / MIN);
    // 1, 2, 4, 8, 16, 32 minutes, then never more than the two-hourly schedule apart.
    expect(gaps.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(120);
    expect(h.calls.length).toBeLessThan(20);
    expect(h.notes).toEqual([]);
    expect(h.saved()!.profiles.dev?.lastResult).toMatchObject({ outcome: 'failed', code: 'AWS_UNREACHABLE' });
    expect(h.saved()!.profiles.dev?.retryAt).not.toBeNull();
    await daemon.stop();
  });

  it('reports a persistent outage once when the key is overdue, and again only after a recovery', async () => {
    let offline = false;
    const h = harness((_p, now) => {
      if (offline) throw new KeyrotError('AWS_UNREACHABLE', 'cannot reach IAM');
      return keyAged(95, now);
    });
    const daemon = h.make();
    await daemon.start(); // overdue but (in this fake) not rotated: sets dueAt in the past
    offline = true;
    await h.clock.advance(5 * HOUR);
    const failures = h.notes.filter((n) => n.title === 'keyrot: dev not rotated');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.body).toBe('Rotation for profile dev failed: cannot reach IAM');
    offline = false;
    await h.clock.advance(HOUR);
    offline = true;
    await h.clock.advance(5 * HOUR);
    expect(h.notes.filter((n) => n.title === 'keyrot: dev not rotated')).toHaveLength(2);
    await daemon.stop();
  });

  it('asks the person to run rotate-now on MFA_REQUIRED, once, without retrying before the next scheduled check', async () => {
    const h = harness(() => {
      throw new KeyrotError('MFA_REQUIRED', 'IAM wants an MFA code to manage keys for this user');
    });
    const daemon = h.make();
    await daemon.start(); // 10:05
    await h.clock.advance(11 * MIN); // 10:16: no retry storm
    expect(h.calls).toHaveLength(1);
    await h.clock.advance(3 * HOUR);
    expect(h.calls).toHaveLength(4); // 10:17, 11:17, 12:17
    expect(h.notes).toEqual([
      {
        title: 'keyrot needs you',
        body: 'keyrot needs you: enter your MFA code with `keyrot rotate-now --profile dev`',
        urgency: 'critical',
      },
    ]);
    expect(h.saved()!.profiles.dev?.lastResult?.outcome).toBe('needs-person');
    await daemon.stop();
  });

  it('asks to unlock the keychain on KEYCHAIN_UNAVAILABLE', async () => {
    const h = harness(() => {
      throw new KeyrotError('KEYCHAIN_UNAVAILABLE', 'the keychain is locked');
    });
    const results = await h.make().runPass('once');
    expect(passExitCode(results)).toBe(5);
    expect(h.notes[0]!.body).toBe(
      'keyrot needs you: unlock your keychain, then run `keyrot rotate-now --profile dev`',
    );
  });

  it('retries soon, silently, while rotate-now holds the profile lock', async () => {
    let locked = true;
    const h = harness((_p, now) => {
      if (locked) throw new KeyrotError('LOCKED', 'another keyrot is rotating profile dev');
      return keyAged(1, now);
    });
    const daemon = h.make();
    await daemon.start();
    locked = false;
    await h.clock.advance(BACKOFF_BASE_MS);
    expect(h.calls).toHaveLength(2);
    expect(h.notes).toEqual([]);
    expect(h.saved()!.profiles.dev?.lastResult?.outcome).toBe('not-due');
    await daemon.stop();
  });

  it('notifies a refusal once with its one-line reason, redacted, and keeps checking on the schedule', async () => {
    const h = harness(() => {
      throw new KeyrotError(
        'OTHER_KEY_ACTIVE',
        'user has another active key AKIAIOSFODNN7EXAMPLE; secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nsecond line',
      );
    });
    const daemon = h.make();
    await daemon.start();
    await h.clock.advance(2 * HOUR);
    expect(h.calls).toHaveLength(3);
    expect(h.notes).toHaveLength(1);
    expect(h.notes[0]!.body).toBe(
      'Rotation for profile dev failed: user has another active key AKIA…MPLE; secret [redacted-secret]',
    );
    expect(JSON.stringify(h.saved())).not.toContain('wJalrXUtnFEMI');
    expect(h.logs.join('\n')).not.toContain('wJalrXUtnFEMI');
    await daemon.stop();
  });

  it('checks every watched profile and keeps going after one fails; drops unwatched ones from the state', async () => {
    const h = harness(
      (profile, now) => {
        if (profile === 'broken') throw new KeyrotError('NO_STATIC_KEY', 'profile broken has no access key');
        return keyAged(3, now);
      },
      { profiles: ['broken', 'dev'] },
    );
    const results = await h.make().runPass('once');
    expect(results.map((r) => [r.profile, r.result.ok])).toEqual([
      ['broken', false],
      ['dev', true],
    ]);
    expect(passExitCode(results)).toBe(3);
    expect(Object.keys(h.saved()!.profiles)).toEqual(['broken', 'dev']);
    expect(h.saved()!.nextCheck).toBeNull();
  });
});

describe('backoff', () => {
  it('doubles from one minute and never exceeds the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, HOUR))).toEqual([MIN, 2 * MIN, 4 * MIN, 8 * MIN]);
    expect(backoffDelayMs(50, HOUR)).toBe(HOUR);
  });
});
