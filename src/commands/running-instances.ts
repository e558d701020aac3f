// Whether keyrot's daemon or tray runs for this user, from the instance lock each holds for its whole
// life: the same answer on every OS and in every language (Windows' Task Scheduler tells only in
// translated words whether a task runs).
import { daemonLockPath } from '../daemon/instance-lock.js';
import { readLockHolder } from '../lock/index.js';
import type { ServiceKind } from '../service/render.js';
import { trayLockPath } from '../tray/instance-lock.js';

/** Answers "does the daemon (or the tray) of the state directory `stateDir` run now?". */
export function runningInstances(stateDir: string): (kind: ServiceKind) => Promise<boolean> {
  return async (kind) => {
    const lock = kind === 'daemon' ? daemonLockPath(stateDir) : trayLockPath(stateDir);
    return (await readLockHolder(lock).catch(() => null)) !== null;
  };
}
