// Trying again after a failure, waiting twice as long each time: the one retry helper (the rotation's
// waits for IAM to accept a new key, the keychain's patience with a slow D-Bus) and the one doubling
// rule (also the daemon's backoff between checks of a failing profile).
import { type Clock, systemClock } from './clock.js';

/** How withRetry waits and when it gives up. */
export interface RetryOptions {
  /** Give up once this much time has passed: no wait that would end later is started. */
  totalMs: number;
  /** First wait (default 200 ms). */
  initialMs?: number;
  /** Largest single wait (default 5 s). */
  maxDelayMs?: number;
  /** Measures the time and waits (default: the system clock). */
  clock?: Clock;
}

/** The wait after `failures` (≥ 1) failures in a row: `initialMs`, doubled per further failure, at most `maxDelayMs`. */
export function backoffDelayMs(failures: number, initialMs: number, maxDelayMs: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(initialMs * 2 ** exponent, maxDelayMs);
}

/**
 * Calls `attempt` until it succeeds, waiting longer each time, while `retryable(error)` holds and the
 * time budget lasts; `onWait` reports each wait (for progress). The last error is rethrown.
 */
export async function withRetry<T>(
  options: RetryOptions,
  attempt: (n: number) => Promise<T>,
  retryable: (error: unknown) => boolean,
  onWait?: (waitedMs: number, nextDelayMs: number, error: unknown) => void,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const start = clock.now().getTime();
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      const waited = clock.now().getTime() - start;
      const delay = backoffDelayMs(n, options.initialMs ?? 200, options.maxDelayMs ?? 5_000);
      if (!retryable(error) || waited + delay > options.totalMs) throw error;
      onWait?.(waited, delay, error);
      await clock.sleep(delay);
    }
  }
}
