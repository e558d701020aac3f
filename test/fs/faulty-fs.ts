import { Volume } from 'memfs';
import type { FileHandlePort, FsPort } from '../../src/fs/fs-port.js';

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

/** memfs (an in-memory volume) behind the FsPort interface, with one-shot or permanent fault injection. */
export function faultyFs(files: Record<string, string | Buffer>): {
  fs: FsPort;
  vol: Volume;
  faults: Fault[];
  log: string[];
} {
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
  const wrapHandle = (handle: FileHandlePort, path: string): FileHandlePort => ({
    readFile: () => handle.readFile(),
    read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
    stat: () => handle.stat(),
    close: () => handle.close(),
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
      return handle.sync();
    },
  });
  const guard =
    <A extends unknown[], R>(op: FaultOp, run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const fault = check(op, String(args[0]));
      if (fault) throw errnoError(fault.code, op, String(args[0]));
      return run(...args);
    };
  const fs: FsPort = {
    open: async (path, flags, mode) => {
      const fault = check('open', path);
      if (fault) throw errnoError(fault.code, 'open', path);
      return wrapHandle(await p.open(path, flags, mode), path);
    },
    readFile: guard('readFile', (path: string) => p.readFile(path)),
    writeFile: (path, data, options) => p.writeFile(path, data, options),
    rename: guard('rename', (from: string, to: string) => p.rename(from, to)),
    unlink: guard('unlink', (path: string) => p.unlink(path)),
    link: (a, b) => p.link(a, b),
    stat: (path) => p.stat(path),
    lstat: (path) => p.lstat(path),
    realpath: (path) => p.realpath(path),
    readlink: (path) => p.readlink(path),
    mkdir: guard('mkdir', (path: string, options: { recursive?: boolean; mode?: number }) =>
      p.mkdir(path, options),
    ),
    chmod: guard('chmod', (path: string, mode: number) => p.chmod(path, mode)),
    chown: (path, uid, gid) => p.chown(path, uid, gid),
  };
  return { fs, vol, faults, log };
}
