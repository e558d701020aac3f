// A size-rotated log file written synchronously, line by line. winston's own File transport loses
// lines or never finishes when a burst of writes crosses maxsize (winstonjs/winston#1655, #2354);
// keyrot logs little, so a blocking append is cheap and cannot lose a line before a crash.
// A rotation that fails (on Windows: another program holds a log file open, and a rename over it is
// refused) never costs a line: the line goes into the live file, and the rotation is tried again at a
// later line, after a wait that doubles each time (a synchronous logger does not sleep).
import * as nodeFs from 'node:fs';
import path from 'node:path';
import type winston from 'winston';
import Transport from 'winston-transport';
import { isFileBusy } from '../fs/busy-retry.js';
import { type FileRules, fileRules } from '../fs/fs-port.js';
import { backoffDelayMs } from '../time/retry.js';

/** The synchronous file calls of the log (node:fs by default; tests inject a Windows-rules volume). */
export type LogFs = Pick<
  typeof nodeFs,
  'appendFileSync' | 'statSync' | 'renameSync' | 'rmSync' | 'chmodSync' | 'mkdirSync'
> & {
  /** The file rules it follows (default: this machine's). */
  readonly rules?: FileRules;
};

/** The first wait before a failed rotation is tried again; each later wait doubles, up to a minute. */
const ROTATION_RETRY_FIRST_MS = 1_000;
const ROTATION_RETRY_MAX_MS = 60_000;

// winston puts the formatted line under this symbol (triple-beam's MESSAGE).
const MESSAGE = Symbol.for('message');

/** Options of RotatingFileTransport. */
export interface RotatingFileOptions {
  /** The live file, e.g. <logDir>/keyrot.log; older files are keyrot1.log … keyrot(N-1).log. */
  filename: string;
  /** Rotate before a write would make the live file larger than this. */
  maxBytes: number;
  /** Files kept, the live one included. */
  maxFiles: number;
  level?: string;
  format?: winston.Logform.Format;
  /** The file system (default node:fs). */
  fs?: LogFs;
  /** The time in ms (default Date.now), for the waits between failed rotations. */
  now?: () => number;
}

/** A winston transport appending JSON lines to a 0600 file, rotated by size, newest always in `filename`. */
export class RotatingFileTransport extends Transport {
  readonly filename: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly fs: LogFs;
  private readonly now: () => number;
  /** Failed rotations in a row, and when the next may be tried. */
  private rotationFailures = 0;
  private nextRotationAt = 0;

  constructor(options: RotatingFileOptions) {
    super({ level: options.level, format: options.format });
    this.filename = options.filename;
    this.maxBytes = options.maxBytes;
    this.maxFiles = options.maxFiles;
    this.fs = options.fs ?? nodeFs;
    this.now = options.now ?? Date.now;
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    try {
      if (this.sizeOf(this.filename) + Buffer.byteLength(line) > this.maxBytes) this.tryRotate();
      this.fs.appendFileSync(this.filename, line, { mode: 0o600 });
    } catch (error) {
      // A full disk must not take the daemon down; winston reports it on the transport's 'error'.
      this.emit('error', error);
    }
    next();
  }

  private tryRotate(): void {
    if (this.now() < this.nextRotationAt) return;
    try {
      this.rotate();
      this.rotationFailures = 0;
      this.nextRotationAt = 0;
    } catch (error) {
      this.rotationFailures += 1;
      this.nextRotationAt =
        this.now() + backoffDelayMs(this.rotationFailures, ROTATION_RETRY_FIRST_MS, ROTATION_RETRY_MAX_MS);
      // A file held open is expected now and then on Windows; anything else is worth reporting.
      if (!isFileBusy(error)) this.emit('error', error);
    }
  }

  /**
   * keyrot.log → keyrot1.log → … → dropped; the numbering matches winston's tailable files. Only the
   * files below the first free number move, so a rotation cut short and tried again loses no file.
   */
  private rotate(): void {
    const { dir, name, ext } = path.parse(this.filename);
    const numbered = (n: number) => path.join(dir, `${name}${n}${ext}`);
    if (this.maxFiles <= 1) {
      this.fs.rmSync(this.filename, { force: true });
      return;
    }
    const oldest = this.maxFiles - 1;
    let free = 1;
    while (free < oldest && this.sizeOf(numbered(free)) >= 0) free += 1;
    if (free === oldest) this.fs.rmSync(numbered(oldest), { force: true });
    for (let n = free - 1; n >= 1; n--) this.fs.renameSync(numbered(n), numbered(n + 1));
    this.fs.renameSync(this.filename, numbered(1));
  }

  private sizeOf(file: string): number {
    try {
      return this.fs.statSync(file).size;
    } catch {
      return -1;
    }
  }

  /** Narrows an existing file (older umask, another tool) to 0600; nothing on Windows, where modes are not permissions. */
  tightenMode(): void {
    if (fileRules(this.fs) === 'posix' && this.sizeOf(this.filename) >= 0) {
      this.fs.chmodSync(this.filename, 0o600);
    }
  }
}
