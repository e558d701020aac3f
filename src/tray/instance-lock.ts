// One tray icon per user: an inter-process lock on <stateDir>/tray.lock, held for the tray's life.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { acquireLock } from '../lock/index.js';

/** The tray's lock file in `stateDir`. */
export function trayLockPath(stateDir: string): string {
  return path.join(stateDir, 'tray.lock');
}

/** Takes the tray lock without waiting; KeyrotError LOCKED (exit 4) when another tray holds it. */
export async function acquireTrayLock(stateDir: string): Promise<() => Promise<void>> {
  const lockPath = trayLockPath(stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  try {
    // Stale only when its holder's pid is gone (a crash), never by age: the tray runs for days.
    return await acquireLock(lockPath, { wait: false, staleMs: Number.POSITIVE_INFINITY });
  } catch (error) {
    if (!isKeyrotError(error, 'LOCKED')) throw error;
    throw new KeyrotError('LOCKED', 'another keyrot tray is already running for this user', {
      file: lockPath,
      hint: 'one tray icon is enough; quit the other one from its menu first',
      cause: error,
    });
  }
}
