// Exponential backoff for transient failures (offline, AWS errors, a held lock), capped so that a
// profile in backoff is never checked less often than the schedule would check it anyway.

/** The first retry waits this long; each further failure doubles it. */
export const BACKOFF_BASE_MS = 60_000;

/** The delay before the next try after `failures` consecutive failures (≥ 1), capped at `capMs`. */
export function backoffDelayMs(failures: number, capMs: number, baseMs = BACKOFF_BASE_MS): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(baseMs * 2 ** exponent, capMs);
}
