// One daemon per user: an inter-process lock on <stateDir>/daemon.lock, held for the daemon's life.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { acquireLock } from '../lock/index.js';

/** The daemon's lock file in `stateDir`. */
export function daemonLockPath(stateDir: string): string {
  return path.join(stateDir, 'daemon.lock');
}

/** Takes the daemon lock without waiting; KeyrotError DAEMON_RUNNING (exit 4) if another daemon holds it. */
export async function acquireDaemonLock(
  stateDir: string,
  acquire: typeof acquireLock = acquireLock,
): Promise<() => Promise<void>> {
  const lockPath = daemonLockPath(stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  try {
    // Held for the daemon's whole life: never stale by age, only when its pid is gone (a crash).
    return await acquire(lockPath, { wait: false, staleMs: Number.POSITIVE_INFINITY });
  } catch (error) {
    if (!isKeyrotError(error, 'LOCKED')) throw error;
    // Loaded only here: the running daemon itself never needs the state file's schema (zod).
    const { readStateFile } = await import('./state-file.js');
    const pid = await readStateFile(stateDir).then(
      (state) => state?.pid ?? null,
      () => null,
    );
    throw new KeyrotError(
      'DAEMON_RUNNING',
      `another keyrot daemon is already running for this user${pid ? ` (pid ${pid})` : ''}`,
      {
        file: lockPath,
        hint: 'one daemon per user is enough; stop it first (`systemctl --user stop keyrot` when installed as a service), or run `keyrot rotate-now` beside it',
        cause: error,
      },
    );
  }
}
