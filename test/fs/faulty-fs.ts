import type * as nodeFs from 'node:fs';
import { Volume } from 'memfs';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import type { FileHandlePort, FileRules, FsPort, StatsPort } from '../../src/fs/fs-port.js';
import type { LogFs } from '../../src/log/rotating-file.js';

const heldInMemory = new Set<string>();

/**
 * The file lock for edits of an in-memory volume (the real lock needs a real file to hold): excludes
 * within this process, and refuses a held path with LOCKED as the real one does without waiting.
 */
export async function memoryLock(lockPath: string): Promise<() => Promise<void>> {
  if (heldInMemory.has(lockPath)) throw new KeyrotError('LOCKED', `${lockPath} is held.`);
  heldInMemory.add(lockPath);
  return async () => {
    heldInMemory.delete(lockPath);
  };
}

/** An operation a fault can hit. */
export type FaultOp = 'open' | 'readFile' | 'write' | 'sync' | 'rename' | 'chmod' | 'mkdir' | 'unlink';

/** One injected failure: the first `op` on a path matching `path` fails with `code` (after `partial` bytes for write). */
export interface Fault {
  op: FaultOp;
  path?: RegExp;
  code: string;
  /** For write: write this many bytes first, then fail (a disk filling up mid-write). */
  partial?: number;
  /** Fail every time instead of once. */
  always?: boolean;
}

function errnoError(code: string, op: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, ${op} '${path}'`), { code, syscall: op, path });
}

/** An in-memory file system with fault injection, following POSIX or Windows file rules. */
export interface FaultyFs {
  /** The asynchronous port (atomic writer, credentials, state, keychain file store). */
  fs: FsPort;
  /** The synchronous calls of the log file, on the same volume and rules. */
  syncFs: LogFs;
  vol: Volume;
  faults: Fault[];
  log: string[];
  /**
   * Opens `path` the way another program would (an editor, an antivirus scan, the tray reading state) and
   * keeps it open until the returned function is called; under Windows rules that blocks renames over it.
   */
  hold(path: string): () => void;
}

/**
 * memfs (an in-memory volume) behind the FsPort interface, with one-shot or permanent fault injection.
 * `rules: 'windows'` adds what Windows does differently, as Node reports it there: a rename over (or
 * from) a file that a handle holds open, and the removal of one, fail with EPERM (MoveFileEx without
 * POSIX semantics; nodejs/node#29481); an fsync of a directory fails with EPERM (nodejs/node#3879); and
 * every file's permission bits read 0666, whatever chmod set.
 */
export function faultyFs(
  files: Record<string, string | Buffer>,
  options: { rules?: FileRules } = {},
): FaultyFs {
  const windows = options.rules === 'windows';
  const vol = Volume.fromJSON({});
  for (const [path, content] of Object.entries(files)) {
    vol.mkdirSync(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
    vol.writeFileSync(path, content, { mode: 0o600 });
  }
  const p = vol.promises as unknown as FsPort;
  const faults: Fault[] = [];
  const log: string[] = [];
  const check = (op: FaultOp, path: string): Fault | undefined => {
    log.push(`${op} ${path}`);
    const index = faults.findIndex((fault) => fault.op === op && (!fault.path || fault.path.test(path)));
    if (index === -1) return undefined;
    const fault = faults[index] as Fault;
    if (!fault.always) faults.splice(index, 1);
    return fault;
  };
  // Open handles per path: what Windows checks before it lets a file be replaced or removed.
  const openCount = new Map<string, number>();
  const opened = (path: string) => openCount.set(path, (openCount.get(path) ?? 0) + 1);
  const closed = (path: string) => {
    const n = (openCount.get(path) ?? 0) - 1;
    if (n > 0) openCount.set(path, n);
    else openCount.delete(path);
  };
  const refuseIfOpen = (op: string, ...paths: string[]) => {
    if (windows && paths.some((path) => openCount.has(path))) {
      throw errnoError('EPERM', op, paths.find((path) => openCount.has(path)) as string);
    }
  };
  const windowsMode = <S extends StatsPort | nodeFs.Stats>(stats: S): S => {
    if (windows) Object.assign(stats, { mode: (stats.mode & ~0o777) | 0o666 });
    return stats;
  };
  const wrapHandle = (handle: FileHandlePort, path: string): FileHandlePort => {
    opened(path);
    let isOpen = true;
    return {
      readFile: () => handle.readFile(),
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      stat: async () => windowsMode(await handle.stat()),
      close: async () => {
        if (isOpen) {
          isOpen = false;
          closed(path);
        }
        return handle.close();
      },
      async write(buffer, offset, length, position) {
        const fault = check('write', path);
        if (fault) {
          if (fault.partial) await handle.write(buffer, offset, Math.min(fault.partial, length), position);
          throw errnoError(fault.code, 'write', path);
        }
        return handle.write(buffer, offset, length, position);
      },
      async sync() {
        const fault = check('sync', path);
        if (fault) throw errnoError(fault.code, 'fsync', path);
        if (windows && (await handle.stat()).isDirectory()) throw errnoError('EPERM', 'fsync', path);
        return handle.sync();
      },
    };
  };
  const guard =
    <A extends unknown[], R>(op: FaultOp, run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const fault = check(op, String(args[0]));
      if (fault) throw errnoError(fault.code, op, String(args[0]));
      return run(...args);
    };
  const fs: FsPort = {
    rules: windows ? 'windows' : 'posix',
    open: async (path, flags, mode) => {
      const fault = check('open', path);
      if (fault) throw errnoError(fault.code, 'open', path);
      return wrapHandle(await p.open(path, flags, mode), path);
    },
    readFile: guard('readFile', (path: string) => p.readFile(path)),
    writeFile: (path, data, options) => p.writeFile(path, data, options),
    rename: guard('rename', async (from: string, to: string) => {
      refuseIfOpen('rename', from, to);
      return p.rename(from, to);
    }),
    unlink: guard('unlink', async (path: string) => {
      refuseIfOpen('unlink', path);
      return p.unlink(path);
    }),
    link: (a, b) => p.link(a, b),
    stat: async (path) => windowsMode(await p.stat(path)),
    lstat: async (path) => windowsMode(await p.lstat(path)),
    realpath: (path) => p.realpath(path),
    readlink: (path) => p.readlink(path),
    mkdir: guard('mkdir', (path: string, options: { recursive?: boolean; mode?: number }) =>
      p.mkdir(path, options),
    ),
    chmod: guard('chmod', (path: string, mode: number) => p.chmod(path, mode)),
    chown: (path, uid, gid) => p.chown(path, uid, gid),
  };
  const syncFs: LogFs = {
    rules: fs.rules,
    appendFileSync: ((path: string, data: string, opts?: nodeFs.WriteFileOptions) =>
      vol.appendFileSync(path, data, opts as never)) as LogFs['appendFileSync'],
    statSync: ((path: string) =>
      windowsMode(vol.statSync(path) as unknown as nodeFs.Stats)) as LogFs['statSync'],
    renameSync: (from, to) => {
      refuseIfOpen('rename', String(from), String(to));
      vol.renameSync(String(from), String(to));
    },
    rmSync: (path, opts) => {
      refuseIfOpen('unlink', String(path));
      vol.rmSync(String(path), opts);
    },
    chmodSync: (path, mode) => vol.chmodSync(String(path), mode),
    mkdirSync: ((path: string, opts?: nodeFs.MakeDirectoryOptions) =>
      vol.mkdirSync(path, opts as never)) as LogFs['mkdirSync'],
  };
  const hold = (path: string): (() => void) => {
    const fd = vol.openSync(path, 'r');
    opened(path);
    let isOpen = true;
    return () => {
      if (!isOpen) return;
      isOpen = false;
      closed(path);
      vol.closeSync(fd);
    };
  };
  return { fs, syncFs, vol, faults, log, hold };
}
