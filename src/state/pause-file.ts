// "Pause checks for 1 hour": the tray writes `<stateDir>/pause-until`, the daemon skips its checks
// until then. The file is one line, an ISO-8601 UTC time (`2026-11-25T20:15:00.000Z`), mode 0600.
// A missing, unreadable, malformed (not ISO-8601 UTC) or past time means "not paused"; deleting the
// file resumes checks (the daemon re-reads it at least once a minute while paused).
import path from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { retryWhileBusy } from '../fs/busy-retry.js';
import { type FileRules, type FsPort, fileRules, realFs } from '../fs/fs-port.js';

/** The file name of the pause marker in the state directory. */
export const PAUSE_FILE_NAME = 'pause-until';

/** How long the tray's "Pause checks" pauses. */
export const PAUSE_MS = 60 * 60 * 1000;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z$/;

/** The subset of node:fs/promises the pause marker's remover uses. */
export interface PauseFs {
  unlink(file: string): Promise<void>;
  readonly rules?: FileRules;
}

/** The path of the pause marker in `stateDir`. */
export function pauseFilePath(stateDir: string): string {
  return path.join(stateDir, PAUSE_FILE_NAME);
}

/** When checks resume, or null when they are not paused (no marker, an unreadable one, or one in the past). */
export async function readPauseUntil(
  stateDir: string,
  now: Date,
  deps: { fs?: { readFile(file: string): Promise<Buffer> } } = {},
): Promise<Date | null> {
  const fs = deps.fs ?? realFs;
  let text: string;
  try {
    text = (await fs.readFile(pauseFilePath(stateDir))).toString('utf8');
  } catch {
    return null;
  }
  // Only the format the tray writes: a local time or a bare date would be read in this machine's zone.
  const line = text.trim();
  if (!ISO_UTC.test(line)) return null;
  const until = Date.parse(line);
  if (Number.isNaN(until) || until <= now.getTime()) return null;
  return new Date(until);
}

/** Pauses checks until `until`: writes the marker atomically (src/fs writeFileAtomic), 0600, dir 0700. */
export async function writePauseUntil(
  stateDir: string,
  until: Date,
  deps: { fs?: FsPort } = {},
): Promise<void> {
  const file = pauseFilePath(stateDir);
  try {
    await writeFileAtomic(file, `${until.toISOString()}\n`, { fs: deps.fs, mode: 0o600, create: true });
  } catch (error) {
    throw new KeyrotError('FILE_WRITE_FAILED', 'cannot pause checks: the pause marker cannot be written', {
      file,
      cause: error,
    });
  }
}

/** Resumes checks: removes the marker (no error if there is none). */
export async function clearPause(stateDir: string, deps: { fs?: PauseFs } = {}): Promise<void> {
  const fs: PauseFs = deps.fs ?? realFs;
  try {
    // The daemon reads the marker at least once a minute; on Windows that read refuses a removal.
    await retryWhileBusy(fileRules(fs), () => fs.unlink(pauseFilePath(stateDir)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new KeyrotError('FILE_WRITE_FAILED', 'cannot resume checks: the pause marker cannot be removed', {
      file: pauseFilePath(stateDir),
      cause: error,
    });
  }
}
