// An inter-process lock that no crash, `kill -9` or reboot can leave behind: a lock file on which the
// holder keeps the kernel's lock (./file-lock.ts) for as long as it keeps the file open. What the file
// holds only names the holder, for messages; it never decides anything, so a file left by a dead process,
// by an earlier boot or by an older keyrot, or naming a reused pid, pid 1 or our own pid, is just taken.
//
// Holding the lock means holding the kernel lock on the file that is at the path now. The holder unlinks
// the file before it lets go, so a waiter that opened the old file and then wins its lock sees that the
// path is gone or names another file, and starts again: two processes never both hold it.
import { constants } from 'node:fs';
import { type FileHandle, open, stat, unlink } from 'node:fs/promises';
import { KeyrotError } from '../errors/keyrot-error.js';
import { tryLockFile } from './file-lock.js';

/** Who holds a lock, as its holder described itself (no secrets: a purpose like "keyrot rotate-now"). */
export interface LockHolder {
  pid: number;
  /** What the holder is doing, e.g. "keyrot daemon", "keyrot rotate-now". */
  purpose: string;
  /** When it took the lock (ISO 8601). */
  since: string;
}

/** Progress of a wait for a held lock, handed to `onWait`. */
export interface LockWait {
  /** Who holds it (null when it could not be read: the holder is between taking it and writing its name). */
  holder: LockHolder | null;
  waitedMs: number;
  timeoutMs: number;
}

/** How to acquire a lock. */
export interface LockOptions {
  /** Wait (bounded by timeoutMs) when the lock is held; otherwise fail at once with LOCKED. Default false. */
  wait?: boolean;
  /** Called about once a second while waiting (never when the lock is free): for a progress line. */
  onWait?: (wait: LockWait) => void;
  /** What this process is doing, shown to whoever finds the lock held. Default "keyrot <command>". */
  purpose?: string;
  /** How long to wait in total when `wait` is true. Default 30 s. */
  timeoutMs?: number;
  /** First polling interval while waiting; it grows to 10x. Default 25 ms. */
  pollMs?: number;
}

/** Releases a lock; safe to call twice. The kernel also releases it when the process dies. */
export type ReleaseLock = () => Promise<void>;

// Windows keeps a file open by another process from being deleted for real (the name lingers, and
// opening it fails) until that process closes it; there the lock file stays, empty of meaning once freed.
const UNLINK_ON_RELEASE = process.platform !== 'win32';
const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
// Enough for any holder line keyrot writes; a longer file is not one it wrote.
const MAX_HOLDER_BYTES = 1024;

type Attempt = { release: ReleaseLock } | { held: LockHolder | null } | 'replaced';

/**
 * Takes the lock at `lockPath` (a file created 0600; its directory must exist). Held by a live process
 * and `wait` false, or still held after `timeoutMs`: KeyrotError LOCKED (exit 4) naming the holder.
 */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<ReleaseLock> {
  const purpose = options.purpose ?? defaultPurpose();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pollMs = options.pollMs ?? 25;
  const started = Date.now();
  let reported = started;
  let delay = pollMs;
  for (;;) {
    const attempt = await tryAcquire(lockPath, purpose);
    if (attempt === 'replaced') continue;
    if ('release' in attempt) return attempt.release;
    const waitedMs = Date.now() - started;
    if (!options.wait || waitedMs >= timeoutMs) {
      throw new KeyrotError('LOCKED', `${lockPath} is held by ${describeLockHolder(attempt.held)}.`, {
        file: lockPath,
        hint: 'wait for it to finish (or stop it); the system frees the lock the moment its holder exits, even after a crash',
      });
    }
    if (options.onWait && Date.now() - reported >= 1_000) {
      reported = Date.now();
      options.onWait({ holder: attempt.held, waitedMs, timeoutMs });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, timeoutMs - waitedMs)));
    delay = Math.min(delay * 2, pollMs * 10);
  }
}

/** Who holds the lock at `lockPath` now; null when nobody does (the file may still exist). */
export async function readLockHolder(lockPath: string): Promise<LockHolder | null> {
  let handle: FileHandle;
  try {
    // Read-write: taking a write lock needs it. No O_CREAT: looking must not create the file.
    handle = await open(lockPath, constants.O_RDWR | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw lockFileError('open', lockPath, error);
  }
  try {
    // Winning the lock proves nobody holds it; closing the file lets go of it again at once.
    if (lockOrFail(handle, lockPath)) return null;
    return (await readHolder(handle)) ?? { pid: 0, purpose: 'another keyrot process', since: '' };
  } finally {
    await handle.close();
  }
}

/** "keyrot rotate-now (pid 4242, since 2026-05-01T10:00:00.000Z)", or "another keyrot process" when unnamed. */
export function describeLockHolder(holder: LockHolder | null): string {
  if (!holder || holder.pid === 0) return 'another keyrot process';
  return `${holder.purpose} (pid ${holder.pid}, since ${holder.since})`;
}

async function tryAcquire(lockPath: string, purpose: string): Promise<Attempt> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath, OPEN_FLAGS, 0o600);
  } catch (error) {
    throw lockFileError('open', lockPath, error);
  }
  let kept = false;
  try {
    if (!lockOrFail(handle, lockPath)) return { held: await readHolder(handle) };
    // Between our open and our lock, the holder may have let go and unlinked this file.
    if (!(await isAtPath(handle, lockPath))) return 'replaced';
    const holder: LockHolder = { pid: process.pid, purpose, since: new Date().toISOString() };
    const line = Buffer.from(`${JSON.stringify(holder)}\n`);
    // No fsync: the name is for messages only, and a crash frees the lock anyway.
    await handle.truncate(0);
    await handle.write(line, 0, line.length, 0);
    kept = true;
    return { release: releaser(handle, lockPath) };
  } finally {
    if (!kept) await handle.close();
  }
}

function lockOrFail(handle: FileHandle, lockPath: string): boolean {
  try {
    return tryLockFile(handle.fd);
  } catch (error) {
    throw lockFileError('lock', lockPath, error);
  }
}

async function isAtPath(handle: FileHandle, lockPath: string): Promise<boolean> {
  const [mine, current] = await Promise.all([
    handle.stat({ bigint: true }),
    stat(lockPath, { bigint: true }).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }),
  ]);
  return current !== null && current.ino === mine.ino && current.dev === mine.dev;
}

async function readHolder(handle: FileHandle): Promise<LockHolder | null> {
  const buffer = Buffer.alloc(MAX_HOLDER_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  try {
    const holder = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')) as Partial<LockHolder>;
    if (
      typeof holder.pid === 'number' &&
      typeof holder.purpose === 'string' &&
      typeof holder.since === 'string'
    ) {
      return { pid: holder.pid, purpose: holder.purpose, since: holder.since };
    }
  } catch {
    // Empty (the holder has not written its name yet) or not a line keyrot wrote.
  }
  return null;
}

function releaser(handle: FileHandle, lockPath: string): ReleaseLock {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      // Unlinked while still held (see the top of this file). Only a file that is still ours: a person
      // may have deleted it by hand, and another process may hold the one now at the path.
      if (UNLINK_ON_RELEASE && (await isAtPath(handle, lockPath))) {
        await unlink(lockPath).catch((error: unknown) => {
          if (errnoCode(error) !== 'ENOENT') throw error;
        });
      }
    } finally {
      await handle.close();
    }
  };
}

/** "keyrot <command>": what a process is doing, from its command line (the command name only, no options). */
function defaultPurpose(): string {
  const command = process.argv.slice(2).find((arg) => /^[a-z][a-z-]*$/.test(arg));
  return command ? `keyrot ${command}` : 'keyrot';
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function lockFileError(step: 'open' | 'lock', lockPath: string, error: unknown): KeyrotError {
  if (error instanceof KeyrotError) return error;
  return new KeyrotError(
    'FILE_WRITE_FAILED',
    `Cannot ${step} the lock file ${lockPath} (${errnoCode(error) ?? 'error'}).`,
    {
      file: lockPath,
      cause: error,
      hint:
        step === 'lock'
          ? 'keyrot needs a file system with working file locks here (a local disk, not every network share)'
          : undefined,
    },
  );
}
