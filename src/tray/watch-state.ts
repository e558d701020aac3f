// Notices changes to the daemon's state file and the pause marker within a fraction of a second
// (fs.watch on the state directory, debounced), and refreshes once a minute anyway so that "due in N
// days" and an expiring pause stay current. It never polls faster than that.
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { PAUSE_FILE_NAME } from '../state/pause-file.js';
import { STATE_FILE_NAME } from '../state/state-file.js';

/** Wait this long after the last event: a writer's temp file + rename arrives as a burst. */
export const DEBOUNCE_MS = 150;

/** The slowest-changing facts (days, pause expiry) are refreshed this often. */
export const REFRESH_MS = 60_000;

/** A running watch; close() stops it. */
export interface StateWatch {
  close(): void;
}

/** Calls `onChange` shortly after `state.json` or `pause-until` in `stateDir` changes, and once a minute. */
export function watchState(
  stateDir: string,
  onChange: () => void,
  options: { debounceMs?: number; refreshMs?: number; watch?: typeof fsWatch } = {},
): StateWatch {
  const watch = options.watch ?? fsWatch;
  const debounceMs = options.debounceMs ?? DEBOUNCE_MS;
  let watcher: FSWatcher | null = null;
  let pending: NodeJS.Timeout | null = null;
  let closed = false;

  const fire = () => {
    if (pending) clearTimeout(pending);
    pending = setTimeout(() => {
      pending = null;
      if (!closed) onChange();
    }, debounceMs);
  };
  const start = () => {
    try {
      watcher = watch(stateDir, { persistent: true }, (_event, name) => {
        // The log may live in the same directory: only our two files matter (null: the OS did not say).
        if (name === null || name === STATE_FILE_NAME || name === PAUSE_FILE_NAME) fire();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = null; // the directory went away: the minute refresh tries again
      });
    } catch {
      watcher = null;
    }
  };
  start();
  const refresh = setInterval(() => {
    if (!watcher) start();
    fire();
  }, options.refreshMs ?? REFRESH_MS);

  return {
    close() {
      closed = true;
      clearInterval(refresh);
      if (pending) clearTimeout(pending);
      watcher?.close();
    },
  };
}
