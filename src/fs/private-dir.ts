// Whether a directory may hold files keyrot runs or loads as code: only a real directory of this user's
// that nobody else may write, or someone else could swap in their own program.
import type { FsPort } from './fs-port.js';

/** Options of privateDirProblem; tests inject the user id. */
export interface PrivateDirOptions {
  fs: Pick<FsPort, 'lstat'>;
  /** This process's user id (default process.getuid; undefined on Windows, where POSIX checks mean nothing). */
  uid?: number;
}

/**
 * Why `dir` is not private to this user, with the fix, or undefined when it is: it must be a directory
 * (not a symlink), owned by this user, and not writable by its group or others.
 */
export async function privateDirProblem(
  dir: string,
  options: PrivateDirOptions,
): Promise<{ reason: string; fix: string } | undefined> {
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  const info = await options.fs.lstat(dir);
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
