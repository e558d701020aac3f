/** Exit codes of the command line contract (README.md, Commands). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  locked: 4,
  needsPerson: 5,
} as const;

/** One of the process exit codes keyrot uses. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Every failure kind keyrot can report, each with the exit code it maps to. */
export const ERROR_CODES = {
  // usage and input
  USAGE: ExitCode.usage,
  CONFIG_INVALID: ExitCode.usage,
  PROFILE_NOT_FOUND: ExitCode.usage,
  CONFIRMATION_REQUIRED: ExitCode.usage,
  // AWS shared files
  FILE_NOT_FOUND: ExitCode.failed,
  FILE_UNREADABLE: ExitCode.failed,
  FILE_INVALID: ExitCode.failed,
  FILE_WRITE_FAILED: ExitCode.failed,
  FILE_CHANGED_CONCURRENTLY: ExitCode.failed,
  // profiles keyrot will not touch
  NO_STATIC_KEY: ExitCode.refused,
  SESSION_CREDENTIALS: ExitCode.refused,
  UNSUPPORTED_PROFILE: ExitCode.refused,
  ROOT_USER: ExitCode.refused,
  OTHER_KEY_ACTIVE: ExitCode.refused,
  PROFILE_CHANGED: ExitCode.refused,
  // files keyrot cannot safely replace (checked before a key is created)
  FILE_NOT_REPLACEABLE: ExitCode.refused,
  FILE_HARD_LINKED: ExitCode.refused,
  FILE_NOT_OWNED: ExitCode.refused,
  // locks
  LOCKED: ExitCode.locked,
  DAEMON_RUNNING: ExitCode.locked,
  // needs the person
  MFA_REQUIRED: ExitCode.needsPerson,
  KEYCHAIN_UNAVAILABLE: ExitCode.needsPerson,
  // The keychain is waiting for the person to answer a dialog (macOS, after node changed).
  KEYCHAIN_PROMPT: ExitCode.needsPerson,
  // keychain
  KEYCHAIN_CORRUPT: ExitCode.failed,
  KEYCHAIN_FAILED: ExitCode.failed,
  BACKUP_NOT_FOUND: ExitCode.usage,
  // AWS
  AWS_REJECTED_KEY: ExitCode.failed,
  AWS_ACCESS_DENIED: ExitCode.failed,
  AWS_UNREACHABLE: ExitCode.failed,
  AWS_ERROR: ExitCode.failed,
  NEW_KEY_NOT_PROVEN: ExitCode.failed,
  // rotation and service
  ROTATION_FAILED: ExitCode.failed,
  HOOK_FAILED: ExitCode.failed,
  SERVICE_FAILED: ExitCode.failed,
  TRAY_UNAVAILABLE: ExitCode.failed,
  EMULATOR_FAILED: ExitCode.failed,
  INTERNAL: ExitCode.failed,
} as const satisfies Record<string, ExitCodeValue>;

/** A failure kind; see ERROR_CODES. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Optional details of a KeyrotError. */
export interface KeyrotErrorOptions {
  /** What the person can do about it, shown on its own line. */
  hint?: string;
  /** The underlying error (never shown verbatim if it may hold a secret). */
  cause?: unknown;
  /** A file the error is about. */
  file?: string;
  /** A 1-based line in that file. */
  line?: number;
}

/** The one error type of keyrot: a code, a message a person can act on, never a secret. */
export class KeyrotError extends Error {
  override readonly name = 'KeyrotError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: ErrorCode, message: string, options: KeyrotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.file = options.file;
    this.line = options.line;
  }

  /** The process exit code this error maps to. */
  get exitCode(): ExitCodeValue {
    return ERROR_CODES[this.code];
  }
}

/** True when `error` is a KeyrotError, optionally of the given code. */
export function isKeyrotError(error: unknown, code?: ErrorCode): error is KeyrotError {
  return error instanceof KeyrotError && (code === undefined || error.code === code);
}
