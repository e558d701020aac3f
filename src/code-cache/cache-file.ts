// Reading and writing V8 code-cache files safely. Cached code is executable: a file someone else could
// have written must never be used, so only a private directory and a file of ours are trusted.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** True when `stats` belong to this user and nobody else may write them (POSIX); always true on Windows. */
function privateToUs(stats: Stats): boolean {
  if (typeof process.getuid !== 'function') return true;
  return stats.uid === process.getuid() && (stats.mode & 0o022) === 0;
}

/** A real directory (no symlink) owned by us and writable by nobody else. */
function trustedDir(dir: string): boolean {
  try {
    const stats = lstatSync(dir);
    return stats.isDirectory() && privateToUs(stats);
  } catch {
    return false;
  }
}

/** The cache file's bytes, or undefined when it is absent or cannot be trusted. */
export function readCacheFile(file: string): Buffer | undefined {
  if (!trustedDir(dirname(file))) return undefined;
  let fd: number | undefined;
  try {
    // O_NOFOLLOW: a symlink planted in place of the file is refused rather than followed.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const stats = fstatSync(fd);
    if (!stats.isFile() || !privateToUs(stats)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `data` to `file` atomically (0600 temp file, then rename) in a 0700 directory, and removes
 * older caches of the same bundle (`<prefix>*` files) so upgrades do not pile up.
 */
export function writeCacheFile(file: string, data: Buffer, prefix: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!trustedDir(dir)) return;
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix) && name !== basename(file)) rmSync(join(dir, name), { force: true });
  }
}
