import * as nodeFs from 'node:fs/promises';

/** The parts of a file's status keyrot looks at. */
export interface StatsPort {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ino: number;
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
 * The subset of node:fs/promises the credentials engine and the lock use, injected so tests can put a
 * fault-injecting file system (memfs behind a wrapper) in its place.
 */
export interface FsPort {
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

/** The real file system. */
export const realFs: FsPort = nodeFs;

/** Dependencies of the credentials engine; all optional, defaulting to the real thing. */
export interface CredentialsDeps {
  /** The file system (default: node:fs/promises). */
  fs?: FsPort;
  /** Called with a message when keyrot fixed something the person should know about (a loose file mode). */
  warn?: (message: string) => void;
}

/** The errno code of a Node.js system error, if any. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
