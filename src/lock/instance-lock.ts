// One long-lived process per user (the daemon, the tray): a lock held for the process's whole life. The
// kernel frees it when the process exits or dies, so only a live holder ever keeps another one out.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { acquireLock, type LockHolder, type ReleaseLock, readLockHolder } from './lock.js';

/** What to tell the person when another instance holds the lock. */
export interface InstanceLockRefusal {
  code: 'LOCKED' | 'DAEMON_RUNNING';
  /** The message, given who holds the lock (null: it could not be read). */
  message: (holder: LockHolder | null) => string;
  hint: string;
}

/** How to take an instance lock. */
export interface InstanceLockOptions {
  /** What this process is, for whoever finds the lock held (e.g. "keyrot daemon"). */
  purpose: string;
  /**
   * Stand by while another instance holds the lock, and take it once that one exits (a service
   * manager's instance: exiting would only have it restarted, or left down). Called once, with the
   * holder, when standing by starts. Without it, a held lock is refused at once.
   */
  standBy?: (holder: LockHolder | null) => void;
}

// How often a standing-by instance looks again: taking over a few seconds late costs nothing.
const STANDBY_POLL_MS = 2_000;

/** Takes `lockPath`, creating its directory 0700; when held, a KeyrotError (exit 4) or, with standBy, waits. */
export async function acquireInstanceLock(
  lockPath: string,
  refusal: InstanceLockRefusal,
  options: InstanceLockOptions,
): Promise<ReleaseLock> {
  await mkdir(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  try {
    return await acquireLock(lockPath, { purpose: options.purpose });
  } catch (error) {
    if (!isKeyrotError(error, 'LOCKED')) throw error;
    const holder = await readLockHolder(lockPath).catch(() => null);
    if (!options.standBy) {
      throw new KeyrotError(refusal.code, refusal.message(holder), {
        file: lockPath,
        hint: refusal.hint,
        cause: error,
      });
    }
    options.standBy(holder);
    return acquireLock(lockPath, {
      purpose: options.purpose,
      wait: true,
      timeoutMs: Number.POSITIVE_INFINITY,
      pollMs: STANDBY_POLL_MS / 10,
    });
  }
}
