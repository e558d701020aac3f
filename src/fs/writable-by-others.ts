// Who else can change a file: anyone who may write the file itself, or any directory above it (they can
// replace the file, or a directory, with their own). keyrot reads keys from, and writes keys to, such
// paths, so doctor reports each one with the fix.
import { dirname } from 'node:path';
import { errnoCode, type FsPort, realFs } from './fs-port.js';

/** A file or directory on a path that a group or other users may write. */
export interface WritableEntry {
  path: string;
  /** Its permission bits (e.g. 0o777). */
  mode: number;
  directory: boolean;
}

/**
 * The file and the directories above it, up to the root, that a group or others may write: along the
 * path as given and along its real target (a symlink's). A sticky directory (/tmp, mode 1777) is not
 * listed: others cannot rename or remove what is yours in it. Missing entries are skipped.
 */
export async function writableByOthers(path: string, fs: FsPort = realFs): Promise<WritableEntry[]> {
  const chains = [path];
  const real = await fs.realpath(path).catch(() => null);
  if (real && real !== path) chains.push(real);
  const seen = new Set<string>();
  // A symlink's path and its target are one file: report it once.
  const reported = new Set<string>();
  const found: WritableEntry[] = [];
  for (const start of chains) {
    for (let at = start; !seen.has(at); at = dirname(at)) {
      seen.add(at);
      let stat: Awaited<ReturnType<FsPort['stat']>>;
      try {
        stat = await fs.stat(at);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') continue;
        throw error;
      }
      const directory = stat.isDirectory();
      const sticky = directory && (stat.mode & 0o1000) !== 0;
      const inode = `${stat.dev}:${stat.ino}`;
      if ((stat.mode & 0o022) !== 0 && !sticky && !reported.has(inode)) {
        reported.add(inode);
        found.push({ path: at, mode: stat.mode & 0o7777, directory });
      }
    }
  }
  return found;
}
