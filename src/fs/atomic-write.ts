// Replaces a file so that every reader, at every instant (including after a crash), sees either the
// complete old content or the complete new content: write a private temp file next to it, make it
// durable, rename it over the target, make the rename durable.
import { basename, dirname, join } from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { isFileBusy, retryWhileBusy } from './busy-retry.js';
import { errnoCode, type FileHandlePort, type FsPort, fileRules, realFs, type StatsPort } from './fs-port.js';

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** File system (default: node:fs/promises). */
  fs?: FsPort;
  /** Mode of a newly created file (default 0600). An existing file keeps its mode unless looser than 0600. */
  mode?: number;
  /** Create the file (and its directory, 0700) when missing; otherwise a missing file is FILE_NOT_FOUND. */
  create?: boolean;
  /** Told when keyrot tightened a file that others could read. */
  warn?: (message: string) => void;
  /**
   * Runs after the temp file is durable, right before the rename (again before each retry of a rename
   * Windows refused because the file was held open); throwing aborts the write cleanly.
   */
  beforeRename?: () => Promise<void>;
  /** How long a rename waits for a file another program holds open, under Windows rules (default 10 s). */
  busyRetryMs?: number;
}

/** The file a write produced: enough to tell later whether anyone has replaced or modified it since. */
export interface WrittenFile {
  path: string;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** Where a write really lands: the final target of a symlink chain, and that file's status if it exists. */
export interface WriteTarget {
  path: string;
  stat: StatsPort | null;
}

/**
 * Follows symlinks to the real file a write must replace (a symlink stays a symlink). A dangling
 * symlink or a directory is refused; a missing file is allowed only with `create`.
 */
export async function resolveWriteTarget(fs: FsPort, path: string, create = false): Promise<WriteTarget> {
  let link: StatsPort;
  try {
    link = await fs.lstat(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw fileError('FILE_UNREADABLE', path, error);
    if (!create) {
      throw new KeyrotError('FILE_NOT_FOUND', `${path} does not exist.`, {
        file: path,
        hint: 'Check --credentials-file / AWS_SHARED_CREDENTIALS_FILE.',
      });
    }
    return { path, stat: null };
  }
  let real = path;
  if (link.isSymbolicLink()) {
    try {
      real = await fs.realpath(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        throw new KeyrotError('FILE_NOT_FOUND', `${path} is a symbolic link to a file that does not exist.`, {
          file: path,
          hint: 'Create the file the link points to, or remove the dangling link.',
        });
      }
      throw fileError('FILE_UNREADABLE', path, error);
    }
  }
  const stat = real === path ? link : await fs.stat(real);
  if (!stat.isFile()) {
    throw new KeyrotError(
      'FILE_INVALID',
      `${real} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}.`,
      {
        file: real,
        hint: 'The AWS shared files must be regular files.',
      },
    );
  }
  return { path: real, stat };
}

/**
 * Atomically replaces `path` with `content`: temp file in the same directory (O_EXCL, 0600), write, fsync,
 * close, keep owner, rename over the target (its real file when `path` is a symlink), fsync the directory.
 * Under Windows rules no handle of ours is open at the rename, a rename refused because another program
 * holds the file is tried again (src/fs/busy-retry.ts), and modes are left alone (they are not permissions
 * there). On any failure the original is untouched and the temp file removed. Errors: FILE_WRITE_FAILED
 * and the refusals of resolveWriteTarget; an error thrown by `beforeRename` is passed through unchanged.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Buffer | readonly Buffer[],
  options: AtomicWriteOptions = {},
): Promise<WrittenFile> {
  const fs = options.fs ?? realFs;
  const posix = fileRules(fs) === 'posix';
  const target = await resolveWriteTarget(fs, path, options.create);
  const dir = dirname(target.path);
  if (target.stat === null) await ensureDir(fs, dir);
  const chunks =
    typeof content === 'string'
      ? [Buffer.from(content, 'utf8')]
      : Buffer.isBuffer(content)
        ? [content]
        : content;
  const oldMode = posix && target.stat ? target.stat.mode & 0o777 : null;
  // Never looser than 0600: group/other bits on a credentials file are a leak, so they are dropped.
  const mode = oldMode === null ? (options.mode ?? 0o600) : oldMode & 0o077 ? 0o600 : oldMode;
  const temp = join(dir, `.${basename(target.path)}.keyrot-${process.pid}-${uniqueSuffix()}.tmp`);
  let handle: FileHandlePort | undefined;
  let created = false;
  let inHook = false;
  let written: WrittenFile | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o600);
    created = true;
    let position = 0;
    for (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, position);
        if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        offset += bytesWritten;
        position += bytesWritten;
      }
    }
    await handle.sync();
    const stat = await handle.stat();
    written = { path: target.path, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
    await handle.close();
    handle = undefined;
    if (
      posix &&
      target.stat &&
      (target.stat.uid !== process.getuid?.() || target.stat.gid !== process.getgid?.())
    ) {
      // Running as root (sudo) on someone's file: the new file must stay theirs.
      await fs.chown(temp, target.stat.uid, target.stat.gid).catch((error) => {
        if (errnoCode(error) !== 'EPERM') throw error;
      });
    }
    if (posix && mode !== 0o600) await fs.chmod(temp, mode);
    await retryWhileBusy(
      fileRules(fs),
      async () => {
        inHook = true;
        await options.beforeRename?.();
        inHook = false;
        await fs.rename(temp, target.path);
      },
      options.busyRetryMs,
    );
    created = false;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (created) await retryWhileBusy(fileRules(fs), () => fs.unlink(temp), 2_000).catch(() => undefined);
    if (inHook || error instanceof KeyrotError) throw error;
    if (!posix && isFileBusy(error)) {
      throw new KeyrotError(
        'FILE_WRITE_FAILED',
        `Could not write ${target.path}: another program kept it open (Windows cannot replace an open file).`,
        {
          file: target.path,
          cause: error,
          hint: 'Close programs that have it open (an editor, a backup or antivirus scan), then try again. The file was left exactly as it was.',
        },
      );
    }
    throw fileError('FILE_WRITE_FAILED', target.path, error);
  }
  await syncDirectory(fs, dir);
  if (oldMode !== null && oldMode & 0o077) {
    options.warn?.(
      `${target.path} was readable by others (mode ${oldMode.toString(8).padStart(4, '0')}); keyrot wrote it back as 0600.`,
    );
  }
  return written as WrittenFile;
}

/**
 * Makes a change of `dir`'s entries (a rename, a removal) durable: fsync the directory. Windows cannot
 * open a directory for it and some file systems refuse it (EISDIR, EPERM, EINVAL and friends): there
 * the change is as durable as the system makes it, and that is not an error.
 */
export async function syncDirectory(fs: FsPort, dir: string): Promise<void> {
  let handle: FileHandlePort | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF', 'EACCES'].includes(errnoCode(error) ?? ''))
      throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function ensureDir(fs: FsPort, dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fileError('FILE_WRITE_FAILED', dir, error);
  }
}

function fileError(code: 'FILE_WRITE_FAILED' | 'FILE_UNREADABLE', file: string, cause: unknown): KeyrotError {
  const errno = errnoCode(cause);
  const why: Record<string, string> = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    EISDIR: 'it is a directory',
    ENOENT: 'the directory does not exist',
  };
  const verb = code === 'FILE_WRITE_FAILED' ? 'write' : 'read';
  return new KeyrotError(
    code,
    `Could not ${verb} ${file}: ${why[errno ?? ''] ?? `error ${errno ?? 'unknown'}`}.`,
    {
      file,
      cause,
      hint: code === 'FILE_WRITE_FAILED' ? 'The file was left exactly as it was.' : undefined,
    },
  );
}

/**
 * A temp file name's random part: unique, not secret (the file is created O_EXCL and 0600, so a name
 * guessed in advance gains nothing, and the pid beside it already tells processes apart). Math.random
 * rather than node:crypto: loading node:crypto costs ~2 MB of resident memory and ~20 ms, which the
 * daemon parent, idle for hours and needing no other crypto, would pay only for this.
 */
function uniqueSuffix(): string {
  return Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');
}
