// One long-lived process per user (the daemon, the tray): a lock held for the process's whole life.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { acquireLock, type ReleaseLock } from './lock.js';

/** What to tell the person when another instance holds the lock. */
export interface InstanceLockRefusal {
  code: 'LOCKED' | 'DAEMON_RUNNING';
  /** Called only when the lock is held: the message (may look up who holds it). */
  message: () => Promise<string> | string;
  hint: string;
}

/** Takes `lockPath` without waiting, creating its directory 0700; a KeyrotError (exit 4) when held. */
export async function acquireInstanceLock(
  lockPath: string,
  refusal: InstanceLockRefusal,
  acquire: typeof acquireLock = acquireLock,
): Promise<ReleaseLock> {
  await mkdir(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  try {
    // Held for days: stale only when its holder's pid is gone (a crash), never by age.
    return await acquire(lockPath, { wait: false, staleMs: Number.POSITIVE_INFINITY });
  } catch (error) {
    if (!isKeyrotError(error, 'LOCKED')) throw error;
    throw new KeyrotError(refusal.code, await refusal.message(), {
      file: lockPath,
      hint: refusal.hint,
      cause: error,
    });
  }
}
