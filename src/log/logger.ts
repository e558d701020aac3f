// keyrot's logger: JSON lines in <logDir>/keyrot.log (0600, size-rotated) and short human lines on
// stderr, both written from one entry redacted once, so no output can ever see a secret. Own code rather
// than winston: all it did for keyrot was this dispatch (the file was already our own RotatingFile), and
// the daemon parent, which idles for hours, held ~10 MB more resident with it loaded.
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { redactText } from '../errors/redact.js';
import { isSecretField, redactValue } from './redact-value.js';
import { type LogFs, RotatingFile } from './rotating-file.js';

/** A log level, most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Structured fields logged beside a message; redacted deeply before anything is written. */
export type LogFields = Record<string, unknown>;

/**
 * The logging port every part of keyrot writes through (rotation, daemon, notifier, commands); inject
 * `nullLogger` (or your own) where logging is not wanted. Messages and fields must hold no secret; the
 * real logger redacts them once more before anything is written.
 */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/** A Logger that owns a log file: whoever created it closes it. */
export interface ClosableLogger extends Logger {
  /** Flushes and closes the log file; later calls are ignored. */
  close(): Promise<void>;
}

/** Options of createLogger. */
export interface LoggerOptions {
  /** Directory of keyrot.log (created 0700); no file is written when absent. */
  logDir?: string;
  /** Debug lines in the file and on stderr. */
  verbose: boolean;
  /** Where human-readable lines go (usually process.stderr); none when absent. */
  stderr?: NodeJS.WritableStream;
  /** Level of the file (settings log_level); default info, debug when verbose. */
  level?: LogLevel;
  /** Level of stderr; default info, debug when verbose. Commands that print their own progress pass 'warn'. */
  stderrLevel?: LogLevel;
  /** Rotation size (default LOG_MAX_BYTES); small values let tests see rotation quickly. */
  maxBytes?: number;
  /** The log file's file system (default node:fs; tests inject one that follows Windows rules). */
  fs?: LogFs;
  /** The time in ms (default Date.now): when a rotation that failed is tried again. */
  now?: () => number;
}

/** Name of the log file inside logDir. */
export const LOG_FILE_NAME = 'keyrot.log';
/** Size at which keyrot.log is rotated. */
export const LOG_MAX_BYTES = 1024 * 1024;
/** How many log files are kept (keyrot.log, keyrot1.log, …). */
export const LOG_MAX_FILES = 5;

/** How severe each level is: a destination takes a line at its level or more severe. */
const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * A log entry safe to write anywhere: the fields redacted deeply (secret-named ones dropped whatever their
 * value), then the level and the message, redacted too.
 */
function redactEntry(level: LogLevel, message: string, fields?: LogFields): LogFields {
  const entry: LogFields = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    entry[key] = isSecretField(key) ? '[redacted]' : redactValue(value);
  }
  entry.level = level;
  entry.message = redactText(String(message));
  return entry;
}

/** JSON text of a redacted value; a bigint, which JSON cannot hold, as a string of its digits. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

/** The log file's line: the entry and its time. */
function jsonLine(entry: LogFields, time: Date): string {
  return `${toJson({ ...entry, timestamp: time.toISOString() })}\n`;
}

/** stderr's line: `keyrot LEVEL: message (field=value, …)`. */
function humanLine(entry: LogFields): string {
  const { level, message, ...fields } = entry;
  const extras = Object.entries(fields).map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : toJson(value)}`,
  );
  return `keyrot ${String(level)}: ${String(message)}${extras.length ? ` (${extras.join(', ')})` : ''}\n`;
}

/** Creates keyrot's logger. */
export function createLogger(options: LoggerOptions): ClosableLogger {
  const fileLevel = SEVERITY[options.verbose ? 'debug' : (options.level ?? 'info')];
  const stderrLevel = SEVERITY[options.verbose ? 'debug' : (options.stderrLevel ?? 'info')];
  const stderr = options.stderr;
  let file: RotatingFile | undefined;
  if (options.logDir) {
    try {
      file = openLogFile(options.logDir, options);
    } catch (error) {
      // Logging is not worth failing a rotation for: carry on with stderr and say why.
      stderr?.write(
        `keyrot warn: cannot write the log in ${options.logDir} (${errorCode(error)}); logging to stderr only\n`,
      );
    }
  }
  let closed = false;
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      // A line logged during shutdown, after close(), is dropped.
      if (closed) return;
      const severity = SEVERITY[level];
      const toFile = file !== undefined && severity <= fileLevel;
      const toStderr = stderr !== undefined && severity <= stderrLevel;
      if (!toFile && !toStderr) return;
      const entry = redactEntry(level, message, fields);
      if (toFile) file?.append(jsonLine(entry, new Date()));
      if (toStderr) stderr?.write(humanLine(entry));
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    // Writes are synchronous: closing only stops further lines.
    async close() {
      closed = true;
    },
  };
}

/** The log file; creates the directory 0700 (an existing one is left as its owner set it). */
function openLogFile(logDir: string, options: LoggerOptions): RotatingFile {
  const fs = options.fs ?? nodeFs;
  const created = fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  if (created) fs.chmodSync(logDir, 0o700);
  let reported = false;
  const file = new RotatingFile({
    filename: path.join(logDir, LOG_FILE_NAME),
    maxBytes: options.maxBytes ?? LOG_MAX_BYTES,
    maxFiles: LOG_MAX_FILES,
    fs,
    now: options.now,
    // Said once on stderr (a full disk would otherwise say it at every line); logging carries on.
    onError: (error) => {
      if (reported) return;
      reported = true;
      options.stderr?.write(
        `keyrot warn: cannot write ${LOG_FILE_NAME} in ${logDir} (${errorCode(error)}); lines may be missing from it\n`,
      );
    },
  });
  file.tightenMode();
  return file;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? redactText(String(error));
}

/** A logger that drops everything (for tests and for code paths that must stay quiet). */
export const nullLogger: ClosableLogger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  close: async () => {},
};
