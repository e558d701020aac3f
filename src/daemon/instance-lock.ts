// One daemon per user: an inter-process lock on <stateDir>/daemon.lock, held for the daemon's life.
import path from 'node:path';
import { describeLockHolder, type LockHolder } from '../lock/index.js';
import { acquireInstanceLock } from '../lock/instance-lock.js';

/** The daemon's lock file in `stateDir`. */
export function daemonLockPath(stateDir: string): string {
  return path.join(stateDir, 'daemon.lock');
}

/** "another keyrot daemon is already running for this user: keyrot daemon (pid 4242, since …)". */
export function daemonRunningMessage(holder: LockHolder | null): string {
  return `another keyrot daemon is already running for this user: ${describeLockHolder(holder)}`;
}

/**
 * Takes the daemon lock. Held by another live daemon: KeyrotError DAEMON_RUNNING (exit 4) at once, or,
 * with `standBy` (the daemon a service manager runs), waits for that daemon to exit and then takes over.
 */
export function acquireDaemonLock(
  stateDir: string,
  standBy?: (holder: LockHolder | null) => void,
): Promise<() => Promise<void>> {
  return acquireInstanceLock(
    daemonLockPath(stateDir),
    {
      code: 'DAEMON_RUNNING',
      message: daemonRunningMessage,
      hint: 'one daemon per user is enough; stop it first (`systemctl --user stop keyrot` when installed as a service), or run `keyrot rotate-now` beside it',
    },
    { purpose: 'keyrot daemon', standBy },
  );
}
