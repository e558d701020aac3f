// The state file's location, empty values and raw atomic write, without its zod schema: the idle
// daemon writes a state it built itself and never loads zod (its schema lives in state-file.ts,
// which every reader uses).
import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { DaemonState, ProfileState } from './state-file.js';

/** The file name of the state file inside the state directory. */
export const STATE_FILE_NAME = 'state.json';

/** The path of the state file in `stateDir`. */
export function stateFilePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE_NAME);
}

/** A fresh state with nothing known yet. */
export function emptyState(): DaemonState {
  return { version: 1, pid: null, schedule: null, lastCheck: null, nextCheck: null, profiles: {} };
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

/** The subset of node:fs/promises the state file uses (injectable for fault tests). */
export interface StateFs {
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  writeFile(file: string, data: string, options: { mode: number; flag?: string }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(dir: string, options: { recursive: true; mode: number }): Promise<string | undefined>;
  chmod(file: string, mode: number): Promise<void>;
  unlink(file: string): Promise<void>;
}

/** Writes `state` to `<stateDir>/state.json` atomically (temp file + rename), mode 0600, dir 0700; no validation. */
export async function writeStateJson(
  stateDir: string,
  state: DaemonState,
  deps: { fs?: StateFs } = {},
): Promise<void> {
  const fs = deps.fs ?? nodeFs;
  const file = stateFilePath(stateDir);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
    // A temp file left by a crashed writer with a reused pid would make `wx` fail: clear it first.
    await fs.unlink(temp).catch(() => undefined);
    // wx: never follow a planted file or symlink at the temp path.
    await fs.writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyrotError(
      'FILE_WRITE_FAILED',
      `cannot write the daemon state file: ${code ?? (error instanceof Error ? error.message : String(error))}`,
      { file, cause: error },
    );
  }
}
