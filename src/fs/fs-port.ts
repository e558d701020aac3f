// Named imports: a namespace import of node:fs costs each bundle that holds this file a copy of its
// ~100 names at load (~0.4 ms on Node 24).
import {
  chmodSync,
  chownSync,
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';

/** The parts of a file's status keyrot looks at. */
export interface StatsPort {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ino: number;
  /** The device (file system) the file is on. */
  dev: number;
  /** How many hard links (names) the file has. */
  nlink: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** An open file (the subset of node:fs/promises FileHandle keyrot uses). */
export interface FileHandlePort {
  readFile(): Promise<Buffer>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<StatsPort>;
  close(): Promise<void>;
}

/**
 * Which operating system's file rules a file system follows. 'windows': a rename over a file, or a
 * removal of one, fails (EPERM) while any handle holds that file open, and a file's mode bits are not
 * its permissions (Node reports 0666 for every writable file; access control lists protect it).
 */
export type FileRules = 'posix' | 'windows';

/**
 * The subset of node:fs/promises keyrot's file writers and readers use, injected so tests can put a
 * fault-injecting file system (memfs behind a wrapper) in its place.
 */
export interface FsPort {
  /** The file rules it follows (default: this machine's, see fileRules). */
  readonly rules?: FileRules;
  open(path: string, flags: string | number, mode?: number): Promise<FileHandlePort>;
  readFile(path: string): Promise<Buffer>;
  writeFile(
    path: string,
    data: string | Uint8Array,
    options?: { mode?: number; flag?: string },
  ): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  link(existing: string, created: string): Promise<void>;
  stat(path: string): Promise<StatsPort>;
  lstat(path: string): Promise<StatsPort>;
  realpath(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
  mkdir(path: string, options: { recursive?: boolean; mode?: number }): Promise<string | undefined>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
}

// A handle over a file descriptor whose calls run synchronously (see realFs).
function syncHandle(fd: number): FileHandlePort {
  return {
    readFile: async () => readFileSync(fd),
    read: async (buffer, offset, length, position) => ({
      bytesRead: readSync(fd, buffer, offset, length, position),
    }),
    write: async (buffer, offset, length, position) => ({
      bytesWritten: writeSync(fd, buffer, offset, length, position),
    }),
    sync: async () => fsyncSync(fd),
    stat: async () => fstatSync(fd),
    close: async () => closeSync(fd),
  };
}

/**
 * The real file system used by default. Each call is one short system call made synchronously behind the
 * promise interface: an edit makes about twenty of them, and on a busy machine every thread-pool round trip
 * of node:fs/promises costs a scheduler wake-up (measured: most of an edit's wall time). The longest block
 * is the fsync of the file (a few ms for a 1.5 MB file). Opening a file yields to the event loop once.
 */
export const realFs: FsPort = {
  rules: platformFileRules(process.platform),
  open: async (path, flags, mode) => {
    // Synchronous calls never leave the microtask queue: yield to the event loop once per file opened, so a
    // caller looping over edits still lets timers, child-process exits and I/O callbacks run.
    await new Promise((resolve) => setImmediate(resolve));
    return syncHandle(openSync(path, flags, mode));
  },
  readFile: async (path) => readFileSync(path),
  writeFile: async (path, data, options) => writeFileSync(path, data, options),
  rename: async (from, to) => renameSync(from, to),
  unlink: async (path) => unlinkSync(path),
  link: async (existing, created) => linkSync(existing, created),
  stat: async (path) => statSync(path),
  lstat: async (path) => lstatSync(path),
  realpath: async (path) => realpathSync(path),
  readlink: async (path) => readlinkSync(path),
  mkdir: async (path, options) => mkdirSync(path, options),
  chmod: async (path, mode) => chmodSync(path, mode),
  chown: async (path, uid, gid) => chownSync(path, uid, gid),
};

/** The file rules of an operating system. */
export function platformFileRules(platform: NodeJS.Platform): FileRules {
  return platform === 'win32' ? 'windows' : 'posix';
}

/** The file rules `fs` follows: its own word, else this machine's. */
export function fileRules(fs: { readonly rules?: FileRules }): FileRules {
  return fs.rules ?? platformFileRules(process.platform);
}

/** The errno code of a Node.js system error, if any. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
