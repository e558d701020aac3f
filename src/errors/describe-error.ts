// The one place an error becomes words: the JSON shape (for --json output and the daemon's worker
// messages) and the text a person reads. Everything here is redacted, whatever the error holds.
import { ERROR_CODES, type ErrorCode, type ExitCodeValue, isKeyrotError } from './keyrot-error.js';
import { redactText } from './redact.js';

/** An error as keyrot shows it; no field ever holds a secret. */
export interface ErrorDescription {
  /** The KeyrotError's code; INTERNAL for any other error. */
  code: ErrorCode;
  /** What went wrong, redacted. */
  message: string;
  /** What the person can do about it, redacted. */
  hint?: string;
  /** The file the error is about, and the 1-based line in it. */
  file?: string;
  line?: number;
  /** For an error that is not a KeyrotError: Node's system error code (ECONNRESET…), when it has one. */
  errno?: string;
}

/** Describes any thrown value: a KeyrotError by its fields, anything else as INTERNAL with its message. */
export function describeError(error: unknown): ErrorDescription {
  if (isKeyrotError(error)) {
    return {
      code: error.code,
      message: redactText(error.message),
      ...(error.hint ? { hint: redactText(error.hint) } : {}),
      ...(error.file ? { file: error.file } : {}),
      ...(error.line ? { line: error.line } : {}),
    };
  }
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  return {
    code: 'INTERNAL',
    message: redactText(error instanceof Error ? error.message : String(error)),
    ...(typeof errno === 'string' ? { errno } : {}),
  };
}

/** The process exit code for any thrown value: a KeyrotError's own, else 1 (failed). */
export function exitCodeOf(error: unknown): ExitCodeValue {
  return ERROR_CODES[describeError(error).code];
}

/** True when `code` is one of keyrot's error codes (for descriptions that crossed a process boundary). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The message followed by the file and line it is about, when known: `message (file:line)`. */
export function messageWithPlace(description: ErrorDescription): string {
  if (!description.file) return description.message;
  return `${description.message} (${description.file}${description.line ? `:${description.line}` : ''})`;
}

/** Options of errorText. */
export interface ErrorTextOptions {
  /** What the error is about, put before the message (e.g. `profile work`). */
  about?: string;
  /** Add the stack of the error (or of a KeyrotError's cause), redacted. */
  verbose?: boolean;
}

/**
 * What keyrot prints on stderr for an error: `keyrot: MESSAGE (file:line)`, the hint indented on the
 * next line, and with `verbose` the stack. An error that is not a KeyrotError is a bug and says so.
 */
export function errorText(error: unknown, options: ErrorTextOptions = {}): string {
  const description = describeError(error);
  const about = options.about ? `${options.about}: ` : '';
  if (!isKeyrotError(error)) {
    const stack = options.verbose && error instanceof Error && error.stack;
    return `keyrot: ${about}unexpected error: ${stack ? redactText(stack) : description.message}\n`;
  }
  let text = `keyrot: ${about}${messageWithPlace(description)}\n`;
  if (description.hint) text += `  ${description.hint}\n`;
  if (options.verbose && error.cause instanceof Error) {
    text += `  cause: ${redactText(error.cause.stack ?? '')}\n`;
  }
  return text;
}
