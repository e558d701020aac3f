// keyrot's logger: JSON lines in <logDir>/keyrot.log (0600, size-rotated) and short human lines on
// stderr, both behind one redaction step so no transport can ever see a secret.
import * as nodeFs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { redactText } from '../errors/redact.js';
import { isSecretField, redactValue } from './redact-value.js';
import { type LogFs, RotatingFileTransport } from './rotating-file.js';

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

/** Redacts the message, every field (deeply) and error stacks of a log entry. */
export const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = isSecretField(key) ? '[redacted]' : redactValue(info[key]);
  }
  if (typeof info.message !== 'string') info.message = redactText(String(info.message));
  return info;
});

const humanFormat = winston.format.printf((info) => {
  const { level, message, timestamp: _t, ...fields } = info;
  const extras = Object.entries(fields).map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return `keyrot ${level}: ${String(message)}${extras.length ? ` (${extras.join(', ')})` : ''}`;
});

/** Creates keyrot's logger (winston). */
export function createLogger(options: LoggerOptions): ClosableLogger {
  const fileLevel: LogLevel = options.verbose ? 'debug' : (options.level ?? 'info');
  const stderrLevel: LogLevel = options.verbose ? 'debug' : (options.stderrLevel ?? 'info');
  const transports: winston.transport[] = [];
  if (options.logDir) {
    try {
      transports.push(openLogFile(options.logDir, fileLevel, options));
    } catch (error) {
      // Logging is not worth failing a rotation for: carry on with stderr and say why.
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      options.stderr?.write(
        `keyrot warn: cannot write the log in ${options.logDir} (${code}); logging to stderr only\n`,
      );
    }
  }
  if (options.stderr) {
    transports.push(
      new winston.transports.Stream({ stream: options.stderr, level: stderrLevel, format: humanFormat }),
    );
  }
  const root = winston.createLogger({
    level: 'debug',
    format: redactFormat(),
    transports,
    exitOnError: false,
  });
  // A logger with no transport makes winston warn on every write; silence it instead.
  if (transports.length === 0) root.silent = true;
  let closed = false;
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      // A line logged during shutdown after close() is dropped rather than making winston complain.
      if (!closed) root.log({ ...fields, level, message });
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    // Writes are synchronous, so closing only has to detach the transports.
    async close() {
      if (closed) return;
      closed = true;
      root.close();
    },
  };
}

/** The log file transport; creates the directory 0700 (an existing one is left as its owner set it). */
function openLogFile(logDir: string, level: LogLevel, options: LoggerOptions): RotatingFileTransport {
  const fs = options.fs ?? nodeFs;
  const created = fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  if (created) fs.chmodSync(logDir, 0o700);
  const file = new RotatingFileTransport({
    filename: path.join(logDir, LOG_FILE_NAME),
    level,
    maxBytes: options.maxBytes ?? LOG_MAX_BYTES,
    maxFiles: LOG_MAX_FILES,
    fs,
    now: options.now,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  });
  file.tightenMode();
  return file;
}

/** A logger that drops everything (for tests and for code paths that must stay quiet). */
export const nullLogger: ClosableLogger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  close: async () => {},
};
