/**
 * How long a call that timed out on D-Bus is retried. The Secret Service gets a few seconds per D-Bus
 * call, and a gnome-keyring that is busy (it rewrites its whole keyring file on every change) on a
 * loaded machine can take longer: that is a slow keychain, not an unreachable one.
 */
export const NO_REPLY_PATIENCE_MS = 60_000;

/** Retry tuning of the OS keychain stores (tests shorten it). */
export interface OsStorePatience {
  /** Give up retrying timed-out calls after this long (default NO_REPLY_PATIENCE_MS). */
  totalMs?: number;
  /** Waits between attempts (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, fails with an error `isNoReply` does not accept, or the patience
 * runs out (then the last error is thrown). Only for idempotent work: a timed-out call may have acted.
 */
export async function retryWhileNoReply<T>(
  attempt: () => Promise<T>,
  isNoReply: (error: unknown) => boolean,
  patience: OsStorePatience = {},
): Promise<T> {
  const deadline = Date.now() + (patience.totalMs ?? NO_REPLY_PATIENCE_MS);
  const sleep = patience.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let pause = 100;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isNoReply(error) || Date.now() >= deadline) throw error;
      await sleep(pause);
      pause = Math.min(pause * 2, 1_000);
    }
  }
}
