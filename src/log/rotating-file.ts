// A size-rotated log file written synchronously, line by line. winston's own File transport loses
// lines or never finishes when a burst of writes crosses maxsize (winstonjs/winston#1655, #2354);
// keyrot logs little, so a blocking append is cheap and cannot lose a line before a crash.
import { appendFileSync, chmodSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type winston from 'winston';
import Transport from 'winston-transport';

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
}

/** A winston transport appending JSON lines to a 0600 file, rotated by size, newest always in `filename`. */
export class RotatingFileTransport extends Transport {
  readonly filename: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;

  constructor(options: RotatingFileOptions) {
    super({ level: options.level, format: options.format });
    this.filename = options.filename;
    this.maxBytes = options.maxBytes;
    this.maxFiles = options.maxFiles;
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    try {
      if (this.sizeOf(this.filename) + Buffer.byteLength(line) > this.maxBytes) this.rotate();
      appendFileSync(this.filename, line, { mode: 0o600 });
    } catch (error) {
      // A full disk must not take the daemon down; winston reports it on the transport's 'error'.
      this.emit('error', error);
    }
    next();
  }

  /** keyrot.log → keyrot1.log → … → dropped; the numbering matches winston's tailable files. */
  private rotate(): void {
    const { dir, name, ext } = path.parse(this.filename);
    const numbered = (n: number) => path.join(dir, `${name}${n}${ext}`);
    rmSync(numbered(this.maxFiles - 1), { force: true });
    for (let n = this.maxFiles - 2; n >= 1; n--) {
      if (this.sizeOf(numbered(n)) >= 0) renameSync(numbered(n), numbered(n + 1));
    }
    if (this.maxFiles > 1) renameSync(this.filename, numbered(1));
    else rmSync(this.filename, { force: true });
  }

  private sizeOf(file: string): number {
    try {
      return statSync(file).size;
    } catch {
      return -1;
    }
  }

  /** Narrows an existing file (older umask, another tool) to 0600. */
  tightenMode(): void {
    if (this.sizeOf(this.filename) >= 0) chmodSync(this.filename, 0o600);
  }
}
