// A size-rotated log file written synchronously, line by line: keyrot logs little, so a blocking append
// is cheap and cannot lose a line before a crash (winston's File transport, used before, lost lines or
// never finished when a burst of writes crossed its size limit: winstonjs/winston#1655, #2354).
// A rotation that fails (on Windows: another program holds a log file open, and a rename over it is
// refused) never costs a line: the line goes into the live file, and the rotation is tried again at a
// later line, after a wait that doubles each time (a synchronous logger does not sleep).
import * as nodeFs from 'node:fs';
import path from 'node:path';
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

/** Options of RotatingFile. */
export interface RotatingFileOptions {
  /** The live file, e.g. <logDir>/keyrot.log; older files are keyrot1.log … keyrot(N-1).log. */
  filename: string;
  /** Rotate before a write would make the live file larger than this. */
  maxBytes: number;
  /** Files kept, the live one included. */
  maxFiles: number;
  /** The file system (default node:fs). */
  fs?: LogFs;
  /** The time in ms (default Date.now), for the waits between failed rotations. */
  now?: () => number;
  /** Told of a line that could not be written or a rotation that failed for another reason than a busy file. */
  onError?: (error: unknown) => void;
}

/** A log file of lines appended to a 0600 file, rotated by size, newest always in `filename`. */
export class RotatingFile {
  readonly filename: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly fs: LogFs;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  /** Failed rotations in a row, and when the next may be tried. */
  private rotationFailures = 0;
  private nextRotationAt = 0;

  constructor(options: RotatingFileOptions) {
    this.filename = options.filename;
    this.maxBytes = options.maxBytes;
    this.maxFiles = options.maxFiles;
    this.fs = options.fs ?? nodeFs;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Appends one line (its newline included), rotating first when it would not fit. Never throws. */
  append(line: string): void {
    try {
      if (this.sizeOf(this.filename) + Buffer.byteLength(line) > this.maxBytes) this.tryRotate();
      this.fs.appendFileSync(this.filename, line, { mode: 0o600 });
    } catch (error) {
      // A full disk must not take the daemon down.
      this.onError(error);
    }
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
      if (!isFileBusy(error)) this.onError(error);
    }
  }

  /**
   * keyrot.log → keyrot1.log → … → dropped (the numbering of winston's tailable files, which wrote these
   * files before). Only the files below the first free number move, so a rotation cut short and tried
   * again loses no file.
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
