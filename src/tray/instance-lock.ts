// One tray icon per user: an inter-process lock on <stateDir>/tray.lock, held for the tray's life.
import path from 'node:path';
import { describeLockHolder } from '../lock/index.js';
import { acquireInstanceLock } from '../lock/instance-lock.js';

/** The tray's lock file in `stateDir`. */
export function trayLockPath(stateDir: string): string {
  return path.join(stateDir, 'tray.lock');
}

/** Takes the tray lock without waiting; KeyrotError LOCKED (exit 4) when another tray holds it. */
export function acquireTrayLock(stateDir: string): Promise<() => Promise<void>> {
  return acquireInstanceLock(
    trayLockPath(stateDir),
    {
      code: 'LOCKED',
      message: (holder) =>
        `another keyrot tray is already running for this user: ${describeLockHolder(holder)}`,
      hint: 'one tray icon is enough; quit the other one from its menu first',
    },
    { purpose: 'keyrot tray' },
  );
}
