// The daemon core: when to check (at start, on the schedule, after a wake from sleep, on backoff
// retries), checking each watched profile through an injected port, and recording the result in the
// state file. Everything it touches is a port, so tests drive it with a fake clock.
//
// Timing: Node's timers run on the monotonic clock, which stands still while a laptop sleeps, so a
// single long timer armed before sleep would fire hours late. Instead one coarse timer is armed for
// at most `tickMs`; each time it fires, the wall clock is compared with what the timer promised. A
// large surplus means the machine slept: a check that fell due meanwhile runs right away.
import { exitCodeOf } from '../errors/describe-error.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from '../notify/notifier.js';
import type { DaemonState, ProfileState } from '../state/state-file.js';
import { emptyProfileState, emptyState } from '../state/state-shape.js';
import type { Clock } from '../time/clock.js';
import { classifyFailure, failureCode, failureLine } from './classify-error.js';
import type { Schedule } from './cron-schedule.js';
import type { CheckProfile, CloseOtherWindows, OtherWindowResult, Timers } from './ports.js';
import { type CheckResult, recordCheck, recordOtherWindow } from './record-check.js';

/** Why a pass runs: start-up, `--once`, the schedule, a backoff retry, a wake from sleep, or SIGHUP. */
export type PassReason = 'start' | 'once' | 'schedule' | 'retry' | 'wake' | 'request';

/** Where the state lives (the state file in production, memory in tests). */
export interface StateStore {
  load(): Promise<DaemonState | null>;
  save(state: DaemonState): Promise<void>;
}

/** Everything the daemon core needs. */
export interface DaemonOptions {
  /** The watched profiles (config.ini). */
  profiles: string[];
  schedule: Schedule;
  checkProfile: CheckProfile;
  notifier: Notifier;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
  timers: Timers;
  store: StateStore;
  /** Recorded in the state file so `status` can tell whether the daemon runs. */
  pid: number;
  /** Longest sleep of the coarse timer (default 60 s): bounds how late a check runs after a wake. */
  tickMs?: number;
  /** A wall-clock surplus beyond this over a tick means the machine slept (default 30 s). */
  wakeThresholdMs?: number;
  /** After a wake, check only if the last pass ended at least this long ago (default 5 min). */
  wakeMinGapMs?: number;
  /**
   * Closes the due grace windows of profiles not in `profiles` (a `rotate-now` opened them); without it
   * the daemon leaves those profiles alone.
   */
  closeOtherWindows?: CloseOtherWindows;
  /** Called after every pass (the real checker releases its AWS clients and keychain here). */
  afterPass?: () => Promise<void>;
  /** Until when checks are paused (the tray's pause marker), or null; read before each pass. */
  pausedUntil?: (now: Date) => Promise<Date | null>;
}

/** How one profile's check ended within a pass. */
export interface ProfilePassResult {
  profile: string;
  result: CheckResult;
}

/** The outcome of `keyrot daemon --once`: 5 if someone must act, else the worst failure's code, else 0. */
export function passExitCode(results: ProfilePassResult[]): ExitCodeValue {
  let code: ExitCodeValue = ExitCode.ok;
  for (const { result } of results) {
    if (result.ok) continue;
    if (classifyFailure(result.error) === 'needs-person') return ExitCode.needsPerson;
    const failure = exitCodeOf(result.error);
    if (code === ExitCode.ok || failure === ExitCode.failed) code = failure;
  }
  return code;
}

/** The daemon: `runPass` for one check of every profile, `start`/`stop` for the long-running loop. */
export class Daemon {
  private readonly tickMs: number;
  private readonly wakeThresholdMs: number;
  private readonly wakeMinGapMs: number;
  private state: DaemonState = emptyState();
  private loaded = false;
  private stopping = false;
  private cancelTimer: (() => void) | null = null;
  private current: Promise<unknown> = Promise.resolve();
  private nextScheduledAt = 0;
  private lastPassEndedAt = Number.NEGATIVE_INFINITY;
  /** When the last pass began: an old key's deadline after it still needs a pass of its own. */
  private lastPassStartedAt = Number.NEGATIVE_INFINITY;
  private armedAt = 0;
  private armedDelay = 0;
  /** The pause seen at the last pass (ms; 0 when not paused): the timer waits it out, tick by tick. */
  private pausedUntilMs = 0;

  constructor(private readonly options: DaemonOptions) {
    this.tickMs = options.tickMs ?? 60_000;
    this.wakeThresholdMs = options.wakeThresholdMs ?? 30_000;
    this.wakeMinGapMs = options.wakeMinGapMs ?? 5 * 60_000;
  }

  /** The state as last recorded (a copy). */
  snapshot(): DaemonState {
    return structuredClone(this.state);
  }

  /**
   * Checks the profiles (all, or on a retry only those whose backoff expired), records and notifies.
   * While checks are paused nothing is checked (except on an explicit SIGHUP request): the pass stays
   * owed and runs once the pause ends.
   */
  runPass(reason: PassReason): Promise<ProfilePassResult[]> {
    const run = this.current.then(async () => ((await this.paused(reason)) ? [] : this.pass(reason)));
    this.current = run.catch(() => undefined);
    return run;
  }

  /** Checks once now, then keeps checking on the schedule and after wakes until `stop`. */
  async start(): Promise<void> {
    try {
      await this.runPass('start');
    } catch (error) {
      // A pass failing as a whole (state file unwritable…) must not stop the schedule.
      this.options.logger.error('check failed', { code: failureCode(error), reason: failureLine(error) });
    }
    this.arm();
  }

  /** Stops scheduling and waits for the check in progress (bound this wait: the journal resumes an abandoned rotation). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.current;
    if (this.loaded) {
      this.state.pid = null;
      await this.save();
    }
  }

  /** True (after recording it in the state file) when checks are paused now. */
  private async paused(reason: PassReason): Promise<boolean> {
    const { clock, logger, pausedUntil: readPause } = this.options;
    // An explicit request (SIGHUP) checks even while paused; the pause itself goes on.
    if (reason === 'request' || !readPause) return false;
    const now = clock.now();
    const until = await readPause(now).catch((error: unknown) => {
      logger.warn('pause marker unreadable; checking as usual', { reason: failureLine(error) });
      return null;
    });
    const wasPaused = this.pausedUntilMs > 0;
    this.pausedUntilMs = until?.getTime() ?? 0;
    if (!until) {
      if (wasPaused) logger.info('checks resumed');
      return false;
    }
    await this.load();
    // The check that fell due stays owed: it runs when the pause ends (the start check included).
    if (this.nextScheduledAt === 0) this.nextScheduledAt = now.getTime();
    const pausedUntil = until.toISOString();
    const nextCheck = reason === 'once' ? null : isoOrNull(Math.max(until.getTime(), this.nextCheckAt()));
    if (this.state.pausedUntil !== pausedUntil || this.state.nextCheck !== nextCheck) {
      this.state.pausedUntil = pausedUntil;
      this.state.nextCheck = nextCheck;
      await this.save();
      logger.info(`checks paused until ${pausedUntil}`, { reason });
    }
    return true;
  }

  private async pass(reason: PassReason): Promise<ProfilePassResult[]> {
    try {
      return await this.checkProfiles(reason);
    } finally {
      await this.options.afterPass?.().catch((error: unknown) => {
        this.options.logger.warn('cleanup after a check failed', { reason: failureLine(error) });
      });
    }
  }

  private async checkProfiles(reason: PassReason): Promise<ProfilePassResult[]> {
    const { logger, clock, schedule } = this.options;
    await this.load();
    if (reason !== 'request') this.state.pausedUntil = null;
    const started = clock.now();
    const results: ProfilePassResult[] = [];
    // Keep only watched profiles (an unwatched one must not keep a stale warning in the tray), and the
    // unwatched ones whose old key is still in its grace window, until this pass looks at it.
    const profiles: Record<string, ProfileState> = {};
    for (const [name, state] of Object.entries(this.state.profiles)) {
      if (state.oldKeyActive && this.options.closeOtherWindows) profiles[name] = state;
    }
    for (const name of this.options.profiles)
      profiles[name] = this.state.profiles[name] ?? emptyProfileState();
    this.state.profiles = profiles;
    logger.debug('check started', { reason, profiles: this.options.profiles });
    for (const profile of this.options.profiles) {
      if (this.stopping && reason !== 'once') break;
      const previous = profiles[profile] ?? emptyProfileState();
      if (reason === 'retry' && !this.owed(previous, started.getTime())) continue;
      const result = await this.check(profile);
      results.push({ profile, result });
      const now = clock.now();
      const recorded = recordCheck({
        profile,
        previous,
        result,
        now,
        today: localDay(now),
        backoffCapMs: schedule.intervalMs,
      });
      profiles[profile] = recorded.state;
      this.log(profile, recorded.state, result);
      if (recorded.notification) {
        await this.options.notifier.notify(recorded.notification).catch((error: unknown) => {
          logger.warn('notification failed', { profile, reason: failureLine(error) });
        });
      }
      await this.save();
    }
    if (!this.stopping || reason === 'once') results.push(...(await this.closeOtherWindows(profiles)));
    const ended = clock.now();
    if (reason !== 'retry' || this.nextScheduledAt === 0) {
      this.nextScheduledAt = schedule.nextAfter(ended)?.getTime() ?? Number.POSITIVE_INFINITY;
    }
    this.lastPassStartedAt = started.getTime();
    this.state.lastCheck = ended.toISOString();
    this.state.nextCheck = reason === 'once' ? null : isoOrNull(this.nextCheckAt());
    await this.save();
    this.lastPassEndedAt = ended.getTime();
    logger.info('check finished', { reason, nextCheck: this.state.nextCheck });
    return results;
  }

  /**
   * Closes the due grace windows of the unwatched profiles and records each such profile's window as it
   * is now (the ones no longer in the journal are dropped). Failures are logged and counted in the pass.
   */
  private async closeOtherWindows(profiles: Record<string, ProfileState>): Promise<ProfilePassResult[]> {
    const { closeOtherWindows, logger, clock } = this.options;
    if (!closeOtherWindows) return [];
    const watched = this.options.profiles;
    let found: OtherWindowResult[];
    try {
      found = await closeOtherWindows(watched);
    } catch (error) {
      logger.warn('could not look at the grace windows of unwatched profiles', {
        code: failureCode(error),
        reason: failureLine(error),
      });
      return [{ profile: '(unwatched profiles)', result: { ok: false, error } }];
    }
    const now = clock.now();
    const previous = { ...profiles };
    for (const name of Object.keys(profiles)) if (!watched.includes(name)) delete profiles[name];
    const failed: ProfilePassResult[] = [];
    for (const { profile, result } of found) {
      const state = recordOtherWindow(previous[profile], result, now);
      if (state) profiles[profile] = state;
      if (result.ok) continue;
      failed.push({ profile, result });
      logger.warn(`${profile}: old key's grace window not closed: ${failureLine(result.error)}`, {
        profile,
        code: failureCode(result.error),
      });
    }
    await this.save();
    return failed;
  }

  private async check(profile: string): Promise<CheckResult> {
    try {
      return { ok: true, report: await this.options.checkProfile(profile) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * The next instant something is due: the schedule, the earliest backoff retry, or the earliest old key's
   * grace-window deadline that no pass has reached yet (a pass after it closes the window or, when it
   * cannot, leaves it to the schedule).
   */
  private nextCheckAt(): number {
    let next = this.nextScheduledAt;
    for (const profile of Object.values(this.state.profiles)) {
      if (profile.retryAt) next = Math.min(next, Date.parse(profile.retryAt));
      const deadline = this.windowDeadline(profile);
      if (deadline !== null) next = Math.min(next, deadline);
    }
    return next;
  }

  /** Whether a retry pass at `now` checks this profile: its backoff expired, or its old key's deadline came. */
  private owed(profile: ProfileState, now: number): boolean {
    if (profile.retryAt && Date.parse(profile.retryAt) <= now) return true;
    const deadline = this.windowDeadline(profile);
    return deadline !== null && deadline <= now;
  }

  /** The deadline of the profile's old key still in its grace window, when no pass has begun since. */
  private windowDeadline(profile: ProfileState): number | null {
    const active = profile.oldKeyActive;
    if (!active || active.waiting) return null;
    const deadline = Date.parse(active.until);
    return deadline > this.lastPassStartedAt ? deadline : null;
  }

  private arm(): void {
    if (this.stopping) return;
    const now = this.options.clock.now().getTime();
    let delay = Math.max(0, this.nextCheckAt() - now);
    // Paused: an owed check waits for the pause to end; the marker is re-read at least every tick.
    if (this.pausedUntilMs > now) delay = Math.max(delay, this.pausedUntilMs - now);
    delay = Math.min(delay, this.tickMs);
    this.armedAt = now;
    this.armedDelay = delay;
    this.cancelTimer = this.options.timers.set(delay, () => this.onTimer());
  }

  private async onTimer(): Promise<void> {
    this.cancelTimer = null;
    if (this.stopping) return;
    const { clock, logger, schedule } = this.options;
    const now = clock.now().getTime();
    const surplus = now - this.armedAt - this.armedDelay;
    const woke = surplus > this.wakeThresholdMs;
    if (woke) logger.info('wall clock jumped ahead: the machine slept', { sleptMs: surplus });
    if (now < this.armedAt) {
      // The wall clock went back (manual change, NTP step): re-plan from the new time.
      this.nextScheduledAt = schedule.nextAfter(new Date(now))?.getTime() ?? Number.POSITIVE_INFINITY;
    }
    try {
      if (now >= this.nextScheduledAt) await this.runPass('schedule');
      else if (woke && now - this.lastPassEndedAt >= this.wakeMinGapMs) await this.runPass('wake');
      else if (now >= this.nextCheckAt()) await this.runPass('retry');
    } catch (error) {
      // A pass failing as a whole (state file unwritable…) must not stop the schedule.
      logger.error('check failed', { code: failureCode(error), reason: failureLine(error) });
    }
    this.arm();
  }

  /** Re-reads the state file before each pass: `rotate-now` records its results there too. */
  private async load(): Promise<void> {
    try {
      const stored = await this.options.store.load();
      if (stored) this.state = stored;
    } catch (error) {
      this.options.logger.warn('state file unreadable; keeping what this daemon knows', {
        reason: failureLine(error),
      });
    }
    this.state.pid = this.options.pid;
    this.state.schedule = this.options.schedule.expression;
    this.loaded = true;
  }

  private async save(): Promise<void> {
    await this.options.store.save(this.state);
  }

  private log(profile: string, state: ProfileState, result: CheckResult): void {
    const { logger } = this.options;
    const outcome = state.lastResult?.outcome;
    const meta = { profile, keyId: state.keyId, ageDays: state.ageDays, dueAt: state.dueAt };
    if (result.ok) {
      logger.info(`${profile}: ${state.lastResult?.message ?? 'checked'}`, { ...meta, outcome });
      return;
    }
    const retry = { code: failureCode(result.error), retryAt: state.retryAt, failures: state.failures };
    logger.warn(`${profile}: ${failureLine(result.error)}`, { ...meta, ...retry, outcome });
  }
}

/** The local calendar day of `date` as YYYY-MM-DD (the "once a day" of warnings). */
export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
