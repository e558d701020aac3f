// The state file's location, empty values and raw atomic write, without its check: the idle daemon
// writes a state it built itself (the check, state-schema.ts, runs in state-file.ts, which every reader
// uses).
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { FsPort } from '../fs/fs-port.js';
import type { DaemonState, ProfileState } from './state-schema.js';

/** The file name of the state file inside the state directory. */
export const STATE_FILE_NAME = 'state.json';

/** The path of the state file in `stateDir`. */
export function stateFilePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE_NAME);
}

/** A fresh state with nothing known yet. */
export function emptyState(): DaemonState {
  return {
    version: 1,
    pid: null,
    schedule: null,
    lastCheck: null,
    nextCheck: null,
    pausedUntil: null,
    profiles: {},
  };
}

/** A fresh profile entry with nothing known yet. */
export function emptyProfileState(): ProfileState {
  return {
    keyId: null,
    ageDays: null,
    dueAt: null,
    lastResult: null,
    lastNotified: null,
    warnedOn: null,
    failures: 0,
    retryAt: null,
  };
}

/** The file system the state file uses (src/fs/fs-port.ts realFs by default; tests inject faults). */
export type StateFs = FsPort;

/** Writes `state` to `<stateDir>/state.json` atomically and durably (src/fs writeFileAtomic), 0600, dir 0700; no validation. */
export async function writeStateJson(
  stateDir: string,
  state: DaemonState,
  deps: { fs?: StateFs } = {},
): Promise<void> {
  await writeFileAtomic(stateFilePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, {
    fs: deps.fs,
    mode: 0o600,
    create: true,
  });
}
