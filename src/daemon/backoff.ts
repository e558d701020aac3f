// Exponential backoff for transient failures (offline, AWS errors, a held lock), capped so that a
// profile in backoff is never checked less often than the schedule would check it anyway.
import { backoffDelayMs as doubling } from '../time/retry.js';

/** The first retry waits this long; each further failure doubles it. */
export const BACKOFF_BASE_MS = 60_000;

/** The delay before the next try after `failures` consecutive failures (≥ 1), capped at `capMs`. */
export function backoffDelayMs(failures: number, capMs: number, baseMs = BACKOFF_BASE_MS): number {
  return doubling(failures, baseMs, capMs);
}
