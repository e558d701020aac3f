import type { Clock } from '../time/clock.js';

/** Bounded exponential backoff settings. */
export interface BackoffOptions {
  /** First delay (default 200 ms). */
  initialMs?: number;
  /** Largest single delay (default 5 s). */
  maxDelayMs?: number;
  /** Give up once this much time has passed (default 60 s). */
  totalMs: number;
}

/**
 * Calls `attempt` until it succeeds, waiting longer each time, while `retryable(error)` holds and the
 * time budget lasts; `onWait` reports each wait (for progress). The last error is rethrown.
 */
export async function withBackoff<T>(
  clock: Clock,
  options: BackoffOptions,
  attempt: (n: number) => Promise<T>,
  retryable: (error: unknown) => boolean,
  onWait?: (waitedMs: number, nextDelayMs: number, error: unknown) => void,
): Promise<T> {
  const start = clock.now().getTime();
  let delay = options.initialMs ?? 200;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      const waited = clock.now().getTime() - start;
      if (!retryable(error) || waited + delay > options.totalMs) throw error;
      onWait?.(waited, delay, error);
      await clock.sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000);
    }
  }
}
