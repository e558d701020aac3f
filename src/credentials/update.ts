// Read-modify-write of one AWS shared file that never loses anyone's edit: keyrot processes exclude each
// other with a lock; tools that take no lock (the AWS CLI, editors) are caught by compare-and-swap
// (re-read right before the rename, re-apply the edit on change) and by watching the replaced file's
// inode after the rename (a writer that truncated and wrote into it in that instant is merged back).
// Windows refuses to replace a file any handle holds open: there keyrot closes its own handle before the
// rename, and the race that handle watches for cannot happen (a writer holding the old file open blocks
// the rename until it has finished; the re-check before each retry then sees its edit).
import { basename, dirname, join } from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { resolveWriteTarget, type WrittenFile, writeFileAtomic } from '../fs/atomic-write.js';
import {
  errnoCode,
  type FileHandlePort,
  type FsPort,
  fileRules,
  realFs,
  type StatsPort,
} from '../fs/fs-port.js';
import { acquireLock, type LockOptions, type ReleaseLock } from '../lock/index.js';
import { parseSharedFile, type SharedFileDocument } from './document.js';
import type { FileKind } from './grammar.js';
import { outputBytes } from './output-bytes.js';

/** Options of updateSharedFile. */
export interface UpdateOptions {
  /** File system (default: node:fs/promises). */
  fs?: FsPort;
  /** Told when keyrot tightened a loose file mode. */
  warn?: (message: string) => void;
  /** Create the file (and ~/.aws, 0700) when missing. */
  create?: boolean;
  /** Wait for another keyrot process's edit of this file (default true, bounded by lockTimeoutMs). */
  lockWait?: boolean;
  /** How long to wait for the file lock (default 10 s). */
  lockTimeoutMs?: number;
  /** The inter-process lock taken around the edit (default src/lock's; an in-memory `fs` needs its own). */
  lock?: (lockPath: string, options: LockOptions) => Promise<ReleaseLock>;
  /** How many times to re-apply the edit when the file keeps changing underneath (default 8). */
  maxAttempts?: number;
}

/** What an update did. */
export interface UpdateOutcome {
  /** The file really written (a symlink's target). */
  file: string;
  /** Whether the file's bytes were replaced. */
  changed: boolean;
}

const CHANGED = Symbol('changed underneath');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lock file that serialises keyrot's edits of `file` (next to it, hidden). */
export function editLockPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.keyrot.lock`);
}

/**
 * Applies `edit` to the file's document under the file lock and writes the result atomically, re-applying
 * it to fresh content whenever the file changed underneath, until the file on disk already satisfies the
 * edit (the last pass is a read-back check). `edit` must be idempotent and may throw to refuse.
 */
export async function updateSharedFile(
  file: string,
  kind: FileKind,
  edit: (doc: SharedFileDocument) => void,
  options: UpdateOptions = {},
): Promise<UpdateOutcome> {
  const fs = options.fs ?? realFs;
  // Whether our read handle may stay open across the rename (POSIX) or must be closed first (Windows).
  const keepHandle = fileRules(fs) === 'posix';
  const target = (await resolveWriteTarget(fs, file, options.create)).path;
  if (options.create)
    await fs.mkdir(dirname(target), { recursive: true, mode: 0o700 }).catch(() => undefined);
  const release = await (options.lock ?? acquireLock)(editLockPath(target), {
    wait: options.lockWait ?? true,
    timeoutMs: options.lockTimeoutMs ?? 10_000,
  });
  try {
    let changed = false;
    let recovered: Buffer | undefined;
    const attempts = options.maxAttempts ?? 8;
    // Recovered content (another writer's file) is always written back, so its passes get a separate, larger cap.
    for (let attempt = 0; attempt <= attempts * 3; attempt += 1) {
      const opened = await openCurrent(fs, target);
      try {
        const current = opened?.content ?? null;
        if (current === null && !options.create) {
          throw new KeyrotError('FILE_NOT_FOUND', `${target} does not exist.`, { file: target });
        }
        const base = recovered ?? current ?? Buffer.alloc(0);
        const text = base.toString('utf8');
        const doc = parseSharedFile(text, kind, { file: target });
        edit(doc);
        if (!doc.edited && recovered === undefined) return { file: target, changed };
        if (attempt >= attempts && recovered === undefined) break;
        recovered = undefined;
        if (!keepHandle) await opened?.close();
        let written: WrittenFile;
        try {
          written = await writeFileAtomic(target, outputBytes(base, text, doc, target), {
            fs,
            create: options.create,
            warn: options.warn,
            beforeRename: async () => {
              if (!(await holdsExactly(fs, target, current))) throw CHANGED;
            },
          });
          changed = true;
        } catch (error) {
          if (error === CHANGED) continue;
          throw error;
        }
        // A writer that truncated the old file and wrote into it after our re-check wrote into the inode we
        // just unlinked: its content is its author's intended file, so it becomes the base of the next pass.
        if (keepHandle && opened && (await writtenSince(opened))) {
          recovered = await settledContent(opened.handle);
          continue;
        }
        // Read-back check: the file is still the very one we wrote (same inode, size and mtime), so it holds
        // the edit; otherwise someone replaced or modified it since, and the next pass re-applies the edit.
        if (await stillOurs(fs, written)) return { file: target, changed };
      } finally {
        await opened?.close();
      }
    }
    throw new KeyrotError(
      'FILE_CHANGED_CONCURRENTLY',
      `${target} kept changing while keyrot tried to edit it.`,
      {
        file: target,
        hint: 'Another program is rewriting the file; try again when it has finished. Nothing of its edits was lost.',
      },
    );
  } finally {
    await release();
  }
}

interface OpenedFile {
  handle: FileHandlePort;
  content: Buffer;
  stat: StatsPort;
  /** Closes the handle; later calls do nothing. */
  close(): Promise<void>;
}

// Opens the file and keeps it open: the handle still reaches the old inode after our rename replaces it.
async function openCurrent(fs: FsPort, file: string): Promise<OpenedFile | null> {
  let handle: FileHandlePort;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw new KeyrotError('FILE_UNREADABLE', `Cannot read ${file} (${errnoCode(error) ?? 'error'}).`, {
      file,
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    let content = await handle.readFile();
    if (content.length === 0) {
      // An empty file may be another tool between truncate and write: give it a moment before building on it.
      await sleep(50);
      content = await readAt(handle);
    }
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => undefined);
    };
    return { handle, content, stat, close };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw new KeyrotError('FILE_UNREADABLE', `Cannot read ${file} (${errnoCode(error) ?? 'error'}).`, {
      file,
      cause: error,
    });
  }
}

async function writtenSince(opened: OpenedFile): Promise<boolean> {
  const now = await opened.handle.stat();
  return now.size !== opened.stat.size || now.mtimeMs !== opened.stat.mtimeMs;
}

// Reads the whole file from offset 0 through an open handle (FileHandle.readFile continues from the position).
async function readAt(handle: FileHandlePort): Promise<Buffer> {
  const size = (await handle.stat()).size;
  const buffer = Buffer.alloc(size);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return buffer.subarray(0, offset);
}

// Content of a file another program is writing: read until two reads a moment apart agree.
async function settledContent(handle: FileHandlePort): Promise<Buffer> {
  let last = await readAt(handle);
  for (let i = 0; i < 20; i += 1) {
    await sleep(25);
    const next = await readAt(handle);
    if (next.equals(last) && next.length > 0) return next;
    last = next;
  }
  return last;
}

async function stillOurs(fs: FsPort, written: WrittenFile): Promise<boolean> {
  try {
    const now = await fs.stat(written.path);
    return now.ino === written.ino && now.size === written.size && now.mtimeMs === written.mtimeMs;
  } catch {
    return false;
  }
}

// Whether the file at `path` holds exactly `expected` (null: does not exist), compared in small chunks so
// that checking a large file does not allocate a second copy of it.
async function holdsExactly(fs: FsPort, path: string, expected: Buffer | null): Promise<boolean> {
  let handle: FileHandlePort;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return expected === null;
    throw error;
  }
  try {
    if (expected === null || (await handle.stat()).size !== expected.length) return false;
    const chunk = Buffer.alloc(Math.min(expected.length, 1 << 16) + 1);
    let offset = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) return offset === expected.length;
      if (offset + bytesRead > expected.length) return false;
      if (!chunk.subarray(0, bytesRead).equals(expected.subarray(offset, offset + bytesRead))) return false;
      offset += bytesRead;
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}
