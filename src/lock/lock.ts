// An inter-process lock: a lock file created with O_EXCL holding who owns it. The kernel's exclusive
// create is the only atomic step; everything else (stale detection, breaking) is built so that a race
// between two breakers can never leave two owners believing they hold the lock.
import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { FileHandlePort } from '../fs/fs-port.js';

/** The file operations the lock needs (node:fs/promises fits; tests inject memfs). */
export interface LockFs {
  open(path: string, flags: string, mode?: number): Promise<Pick<FileHandlePort, 'write' | 'sync' | 'close'>>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  link(existing: string, created: string): Promise<void>;
  stat(path: string): Promise<{ mtimeMs: number }>;
}

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
  /** A lock older than this is stale whoever holds it (covers other hosts and reused pids). Default 10 min. */
  staleMs?: number;
  /** How long to wait in total when `wait` is true. Default 30 s. */
  timeoutMs?: number;
  /** Polling interval while waiting (grows up to 4x). Default 25 ms. */
  pollMs?: number;
  /** File system (default: node:fs/promises). */
  fs?: LockFs;
  /** Whether a process id is alive on this host (default: signal 0). */
  isAlive?: (pid: number) => boolean;
  /** Current time in ms (default Date.now). */
  now?: () => number;
  /** This host's name (default os.hostname()). */
  hostname?: string;
}

/** Releases a lock; safe to call twice, never removes a lock someone else now holds. */
export type ReleaseLock = () => Promise<void>;

/** Who holds a lock, as written in the lock file. */
export interface LockOwner {
  pid: number;
  hostname: string;
  createdAt: string;
  token: string;
  purpose?: string;
}

/** True when the process exists (EPERM means it exists but belongs to someone else). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a lock file's content; null when it is not a lock keyrot wrote (or a creator died mid-write). */
export function parseLockOwner(content: string): LockOwner | null {
  try {
    const owner = JSON.parse(content) as Partial<LockOwner>;
    if (
      typeof owner.pid === 'number' &&
      typeof owner.hostname === 'string' &&
      typeof owner.token === 'string'
    ) {
      return owner as LockOwner;
    }
  } catch {
    // fall through
  }
  return null;
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Takes the lock at `lockPath` (a file created with O_EXCL holding pid, hostname, time and a random token).
 * A lock whose owner process is dead on this host, or that is older than `staleMs`, is broken.
 * Held and `wait` false (or still held after `timeoutMs`): KeyrotError LOCKED naming the holder.
 */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<ReleaseLock> {
  const fs = options.fs ?? (nodeFs as unknown as LockFs);
  const now = options.now ?? Date.now;
  const host = options.hostname ?? osHostname();
  const isAlive = options.isAlive ?? processIsAlive;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = now();
  const deadline = started + timeoutMs;
  let reported = started;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: host,
    createdAt: new Date(now()).toISOString(),
    token: randomUUID(),
    purpose: options.purpose ?? defaultPurpose(),
  };
  const content = Buffer.from(`${JSON.stringify(owner)}\n`);
  let delay = options.pollMs ?? 25;
  for (;;) {
    if (await tryCreate(fs, lockPath, content)) return releaser(fs, lockPath, owner.token);
    const holder = await inspect(fs, lockPath);
    if (holder === 'gone') continue;
    const stale =
      now() - holder.mtimeMs > staleMs ||
      (holder.owner !== null && holder.owner.hostname === host && !isAlive(holder.owner.pid)) ||
      // An unreadable lock (creator died between create and write) is stale once it is a few seconds old.
      (holder.owner === null && now() - holder.mtimeMs > 5_000);
    if (stale) {
      await breakStale(fs, lockPath, holder.raw);
      continue;
    }
    if (!options.wait || now() >= deadline) {
      const who = holder.owner
        ? `${holder.owner.purpose ?? 'process'} (pid ${holder.owner.pid} on ${holder.owner.hostname}) since ${holder.owner.createdAt}`
        : 'another process';
      throw new KeyrotError('LOCKED', `The lock ${lockPath} is held by ${who}.`, {
        file: lockPath,
        hint: 'Wait for the other keyrot process to finish; if none is running, the lock is removed automatically.',
      });
    }
    if (options.onWait && now() - reported >= 1_000) {
      reported = now();
      options.onWait({ holder: asHolder(holder.owner), waitedMs: reported - started, timeoutMs });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - now()))));
    delay = Math.min(delay * 2, (options.pollMs ?? 25) * 4);
  }
}

/** "keyrot <command>": what a process is doing, from its command line (the command name only, no options). */
function defaultPurpose(): string {
  const command = process.argv.slice(2).find((arg) => /^[a-z][a-z-]*$/.test(arg));
  return command ? `keyrot ${command}` : 'keyrot';
}

function asHolder(owner: LockOwner | null): LockHolder | null {
  return owner ? { pid: owner.pid, purpose: owner.purpose ?? 'keyrot', since: owner.createdAt } : null;
}

/** Who holds the lock at `lockPath` now; null when nobody does. */
export async function readLockHolder(lockPath: string): Promise<LockHolder | null> {
  const holder = await inspect(nodeFs as unknown as LockFs, lockPath);
  return holder === 'gone' ? null : asHolder(holder.owner);
}

async function tryCreate(fs: LockFs, lockPath: string, content: Buffer): Promise<boolean> {
  let handle: Awaited<ReturnType<LockFs['open']>>;
  try {
    handle = await fs.open(lockPath, 'wx', 0o600);
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    throw new KeyrotError(
      'FILE_WRITE_FAILED',
      `Cannot create the lock file ${lockPath} (${code(error) ?? 'error'}).`,
      {
        file: lockPath,
        cause: error,
      },
    );
  }
  try {
    // No fsync: a lock need not survive a crash (its dead owner makes it stale anyway).
    await handle.write(content, 0, content.length, 0);
  } finally {
    await handle.close();
  }
  return true;
}

async function inspect(
  fs: LockFs,
  lockPath: string,
): Promise<'gone' | { raw: Buffer; owner: LockOwner | null; mtimeMs: number }> {
  try {
    const [raw, stat] = await Promise.all([fs.readFile(lockPath), fs.stat(lockPath)]);
    return { raw, owner: parseLockOwner(raw.toString('utf8')), mtimeMs: stat.mtimeMs };
  } catch (error) {
    if (code(error) === 'ENOENT') return 'gone';
    throw error;
  }
}

// Moves the stale lock aside under a unique name (atomic: only one breaker wins a given file), then checks
// it really was the stale one; if a fresh lock was moved by mistake, it is put back with link (no clobber).
async function breakStale(fs: LockFs, lockPath: string, staleContent: Buffer): Promise<void> {
  const aside = `${lockPath}.stale-${randomUUID()}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if (code(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await fs.readFile(aside);
  if (!moved.equals(staleContent)) {
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
}

function releaser(fs: LockFs, lockPath: string, token: string): ReleaseLock {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      const owner = parseLockOwner((await fs.readFile(lockPath)).toString('utf8'));
      if (owner?.token === token) await fs.unlink(lockPath);
    } catch (error) {
      if (code(error) !== 'ENOENT') throw error;
    }
  };
}
