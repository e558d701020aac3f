// One daemon per user: an inter-process lock on <stateDir>/daemon.lock, held for the daemon's life.
import path from 'node:path';
import { acquireLock } from '../lock/index.js';
import { acquireInstanceLock } from '../lock/instance-lock.js';

/** The daemon's lock file in `stateDir`. */
export function daemonLockPath(stateDir: string): string {
  return path.join(stateDir, 'daemon.lock');
}

/** Takes the daemon lock without waiting; KeyrotError DAEMON_RUNNING (exit 4) if another daemon holds it. */
export function acquireDaemonLock(
  stateDir: string,
  acquire: typeof acquireLock = acquireLock,
): Promise<() => Promise<void>> {
  return acquireInstanceLock(
    daemonLockPath(stateDir),
    {
      code: 'DAEMON_RUNNING',
      message: async () => {
        // Loaded only here: the running daemon itself never needs the state file's schema (zod).
        const { readStateFile } = await import('../state/state-file.js');
        const pid = await readStateFile(stateDir).then(
          (state) => state?.pid ?? null,
          () => null,
        );
        return `another keyrot daemon is already running for this user${pid ? ` (pid ${pid})` : ''}`;
      },
      hint: 'one daemon per user is enough; stop it first (`systemctl --user stop keyrot` when installed as a service), or run `keyrot rotate-now` beside it',
    },
    acquire,
  );
}
