// Windows refuses to rename over or remove a file while any program holds it open: antivirus scanners,
// search indexers, the AWS CLI reading its credentials, keyrot's own tray reading the state file. Such
// holds last milliseconds to seconds, so a rename that fails for that reason is tried again, waiting a
// little longer each time (graceful-fs does the same for npm on Windows), within a bounded time.
import { withRetry } from '../time/retry.js';
import { errnoCode, type FileRules } from './fs-port.js';

/** How long a rename waits in total for a file another program holds open (Windows). */
export const BUSY_RETRY_MS = 10_000;
/** The first wait before trying a held file again; each later wait doubles. */
export const BUSY_FIRST_WAIT_MS = 10;
/** The longest single wait. */
export const BUSY_MAX_WAIT_MS = 250;

const BUSY = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** Whether `error` is what Windows answers when another handle holds the file (EPERM, EACCES, EBUSY). */
export function isFileBusy(error: unknown): boolean {
  return BUSY.has(errnoCode(error) ?? '');
}

/**
 * Runs `attempt` (a rename, with whatever must be re-checked before it) and, under Windows file rules,
 * runs it again while it fails because the file is held open, for at most `totalMs`. Under POSIX rules
 * those errors are real permission problems and fail at once.
 */
export async function retryWhileBusy<T>(
  rules: FileRules,
  attempt: () => Promise<T>,
  totalMs: number = BUSY_RETRY_MS,
): Promise<T> {
  if (rules !== 'windows') return attempt();
  return withRetry(
    { totalMs, initialMs: BUSY_FIRST_WAIT_MS, maxDelayMs: BUSY_MAX_WAIT_MS },
    attempt,
    isFileBusy,
  );
}
