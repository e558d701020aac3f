// Whether a directory may hold files keyrot runs or loads as code: only a real directory of this user's
// that nobody else may write, or someone else could swap in their own program.
import type { FsPort } from './fs-port.js';

/** Options of privateDirProblem; tests inject the user id. */
export interface PrivateDirOptions {
  fs: Pick<FsPort, 'lstat'>;
  /** This process's user id (default process.getuid; undefined on Windows, where POSIX checks mean nothing). */
  uid?: number;
}

/** The fields of a directory's lstat the check reads. */
type DirInfo = Pick<Awaited<ReturnType<FsPort['lstat']>>, 'isDirectory' | 'uid' | 'mode'>;

/** What is wrong with `dir`, and the fix. */
export type PrivateDirProblem = { reason: string; fix: string };

/**
 * Why `dir` is not private to this user, with the fix, or undefined when it is: it must be a directory
 * (not a symlink), owned by this user, and not writable by its group or others.
 */
export async function privateDirProblem(
  dir: string,
  options: PrivateDirOptions,
): Promise<PrivateDirProblem | undefined> {
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  return problemOf(dir, await options.fs.lstat(dir), uid);
}

/**
 * privateDirProblem with a synchronous lstat, for the bin's agent client (src/agent/client.ts), which
 * checks the socket's directory while the daemon answers.
 */
export function privateDirProblemSync(
  dir: string,
  lstat: (file: string) => DirInfo,
  uid: number | undefined = process.getuid?.(),
): PrivateDirProblem | undefined {
  return problemOf(dir, lstat(dir), uid);
}

function problemOf(dir: string, info: DirInfo, uid: number | undefined): PrivateDirProblem | undefined {
  if (!info.isDirectory()) {
    return { reason: `${dir} is not a directory`, fix: `remove ${dir}; keyrot creates it again` };
  }
  if (uid === undefined) return undefined;
  if (info.uid !== uid) {
    return {
      reason: `${dir} belongs to user id ${info.uid}, not to you (user id ${uid})`,
      fix: `remove ${dir} (as its owner or root); keyrot creates its own`,
    };
  }
  if ((info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    return { reason: `${dir} can be written by others (mode ${mode})`, fix: `chmod 700 ${dir}` };
  }
  return undefined;
}
