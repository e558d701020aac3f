// The two sets of file rules keyrot's writers must keep their promises under, as a test matrix
// (describe.each(FILE_WORLDS)): this machine's real file system in a temp directory (POSIX rules), and
// an in-memory volume that follows Windows rules (test/fs/faulty-fs.ts: a file held open cannot be
// replaced or removed, a directory fsync fails, every mode reads 0666).
import * as nodeFs from 'node:fs';
import { rm } from 'node:fs/promises';
import { type FileRules, type FsPort, realFs } from '../../src/fs/fs-port.js';
import type { LogFs } from '../../src/log/rotating-file.js';
import { tempDir } from '../support/cleanup.js';
import { faultyFs } from './faulty-fs.js';

/** A fresh directory under one set of file rules, and how to look at it. */
export interface FileWorld {
  rules: FileRules;
  /** The port keyrot's writers get. */
  fs: FsPort;
  /** The synchronous calls of the log file, on the same files. */
  syncFs: LogFs;
  /** An empty directory to work in. */
  root: string;
  /** Another program opening `file` and keeping it open until the returned function is called. */
  hold(file: string): () => void;
  readText(file: string): string;
  list(dir: string): string[];
  /** Permission bits as the file system reports them. */
  mode(file: string): number;
  /** Removes everything (called in afterEach). */
  dispose(): Promise<void>;
}

async function posixWorld(): Promise<FileWorld> {
  const root = await tempDir('world');
  return {
    rules: 'posix',
    fs: { ...realFs, rules: 'posix' },
    syncFs: { ...nodeFs, rules: 'posix' },
    root,
    hold(file) {
      const fd = nodeFs.openSync(file, 'r');
      let open = true;
      return () => {
        if (open) nodeFs.closeSync(fd);
        open = false;
      };
    },
    readText: (file) => nodeFs.readFileSync(file, 'utf8'),
    list: (dir) => nodeFs.readdirSync(dir).sort(),
    mode: (file) => nodeFs.statSync(file).mode & 0o777,
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

async function windowsWorld(): Promise<FileWorld> {
  const { fs, syncFs, vol, hold } = faultyFs({}, { rules: 'windows' });
  const root = '/Users/ann/AppData/Local/keyrot-world';
  vol.mkdirSync(root, { recursive: true });
  return {
    rules: 'windows',
    fs,
    syncFs,
    root,
    hold,
    readText: (file) => String(vol.readFileSync(file, 'utf8')),
    list: (dir) => (vol.readdirSync(dir) as string[]).map(String).sort(),
    mode: (file) => (syncFs.statSync(file) as nodeFs.Stats).mode & 0o777,
    dispose: async () => undefined,
  };
}

/** The matrix: [name, factory] for describe.each. */
export const FILE_WORLDS: [string, () => Promise<FileWorld>][] = [
  ['POSIX rules (this machine, a temp dir)', posixWorld],
  ['Windows rules (in memory)', windowsWorld],
];

/** Releases `release` after `ms`: a program that lets go of a file a moment later. */
export function releaseAfter(release: () => void, ms: number): Promise<void> {
  return new Promise((resolve) =>
    setTimeout(() => {
      release();
      resolve();
    }, ms),
  );
}
