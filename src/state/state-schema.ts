// The state file's shape: its types, and the check every reader and writer runs (state-file.ts). Written
// as plain functions rather than a schema library: `status --offline` and the tray read this file on
// every start, and building zod/mini's schema objects for it cost ~4 ms of a ~30 ms process on Node 24.
// Fields older writers left out get their defaults (null, 0, {}); unknown fields are kept as they are.

/** How the last check of one profile ended: not-due, due-soon (warned), rotated, failed, needs-person. */
export type ProfileOutcome = 'not-due' | 'due-soon' | 'rotated' | 'failed' | 'needs-person';

/** What the daemon knows about one watched profile. */
export interface ProfileState {
  /** The current key id, masked. */
  keyId: string | null;
  ageDays: number | null;
  dueAt: string | null;
  lastResult: {
    at: string;
    outcome: ProfileOutcome;
    /** One line for a person; never a secret. */
    message: string;
    /** The KeyrotError code when the outcome is failed or needs-person. */
    code?: string;
  } | null;
  /** The last distinct event the person was notified about (dedupe across restarts). */
  lastNotified: { event: string; at: string } | null;
  /** The local day (YYYY-MM-DD) of the last "due soon" warning: at most one a day. */
  warnedOn: string | null;
  /** Consecutive transient failures (offline, AWS errors); drives the backoff. */
  failures: number;
  /** When a profile in backoff may be checked again. */
  retryAt: string | null;
  /**
   * The key this profile held before its last rotation, still active in its grace window
   * (old_key_active_hours): masked id, deadline, and whether it is kept past it because it is still used.
   */
  oldKeyActive?: { keyId: string; until: string; waiting: boolean } | null;
  /** The key lives in the OS keychain (`keyrot protect`), as the last check found; absent in older files. */
  protected?: boolean;
}

/** The whole state file. */
export interface DaemonState {
  version: 1;
  /** The pid of the daemon that wrote the file, or null after it stopped. */
  pid: number | null;
  /** The cron expression the daemon runs on. */
  schedule: string | null;
  lastCheck: string | null;
  nextCheck: string | null;
  /** Checks are paused until then (the tray's pause marker, seen by the daemon); null when not paused. */
  pausedUntil: string | null;
  /**
   * The daemon runs but does not check, and why: its settings are invalid and it waits for them to be
   * fixed (under launchd, which would restart a daemon that exits every 30 s). Absent or null otherwise.
   */
  idle?: { reason: string; since: string } | null;
  profiles: Record<string, ProfileState>;
}

/** Where a value is not the state file's shape (a dotted path, empty at the top) and why. */
export class StateShapeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'StateShapeError';
  }
}

/** Checks one value found at `path` and returns what the state holds for it. */
type Read<T> = (value: unknown, path: string) => T;

const kindOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

function mismatch(path: string, expected: string, value: unknown): never {
  throw new StateShapeError(path, `expected ${expected}, not ${kindOf(value)}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets `key` as an own property, so that `__proto__` in a file is a key like any other. */
const put = (target: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

const string: Read<string> = (v, p) => (typeof v === 'string' ? v : mismatch(p, 'a string', v));
const number: Read<number> = (v, p) =>
  typeof v === 'number' && Number.isFinite(v) ? v : mismatch(p, 'a number', v);
const boolean: Read<boolean> = (v, p) => (typeof v === 'boolean' ? v : mismatch(p, 'a boolean', v));
const integer =
  (min = Number.MIN_SAFE_INTEGER): Read<number> =>
  (v, p) =>
    Number.isSafeInteger(v) && (v as number) >= min
      ? (v as number)
      : mismatch(p, min === 0 ? 'a whole number, 0 or more' : 'a whole number', v);
const isoDate: Read<string> = (v, p) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : mismatch(p, 'an ISO date', v);
const oneOf =
  <T extends string>(...values: T[]): Read<T> =>
  (v, p) =>
    values.includes(v as T) ? (v as T) : mismatch(p, `one of ${values.join(', ')}`, v);
const literal =
  <T extends number>(value: T): Read<T> =>
  (v, p) =>
    v === value ? value : mismatch(p, String(value), v);

/** `read`, or null; null when absent. */
const nullOr =
  <T>(read: Read<T>): Read<T | null> =>
  (v, p) =>
    v === undefined || v === null ? null : read(v, p);
/** `read`, or `fallback()` when absent. */
const withDefault =
  <T>(read: Read<T>, fallback: () => T): Read<T> =>
  (v, p) =>
    v === undefined ? fallback() : read(v, p);
/** `read`, or nothing (the key stays absent) when absent. */
const optional =
  <T>(read: Read<T>): Read<T | undefined> =>
  (v, p) =>
    v === undefined ? undefined : read(v, p);

/**
 * An object with these fields, checked in this order. `keepOthers`: fields not named here are kept as
 * they are (what a newer keyrot wrote); otherwise they are dropped.
 */
function object<T>(fields: { [K in keyof T]-?: Read<T[K]> }, keepOthers: boolean): Read<T> {
  const names = Object.keys(fields) as (keyof T & string)[];
  return (v, p) => {
    if (!isRecord(v)) return mismatch(p, 'an object', v);
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const value = fields[name](Object.hasOwn(v, name) ? v[name] : undefined, at(p, name));
      if (value !== undefined) put(out, name, value);
    }
    if (keepOthers) for (const key of Object.keys(v)) if (!Object.hasOwn(fields, key)) put(out, key, v[key]);
    return out as T;
  };
}

/** An object of any keys, each value checked by `read`. */
const recordOf =
  <T>(read: Read<T>): Read<Record<string, T>> =>
  (v, p) => {
    if (!isRecord(v)) return mismatch(p, 'an object', v);
    const out: Record<string, T> = {};
    for (const key of Object.keys(v)) put(out, key, read(v[key], at(p, key)));
    return out;
  };

const profileState = object<ProfileState>(
  {
    keyId: nullOr(string),
    ageDays: nullOr(number),
    dueAt: nullOr(isoDate),
    lastResult: nullOr(
      object<NonNullable<ProfileState['lastResult']>>(
        {
          at: isoDate,
          outcome: oneOf<ProfileOutcome>('not-due', 'due-soon', 'rotated', 'failed', 'needs-person'),
          message: string,
          code: optional(string),
        },
        false,
      ),
    ),
    lastNotified: nullOr(object<{ event: string; at: string }>({ event: string, at: isoDate }, false)),
    warnedOn: nullOr(string),
    failures: withDefault(integer(0), () => 0),
    retryAt: nullOr(isoDate),
    oldKeyActive: optional(
      nullOr(
        object<{ keyId: string; until: string; waiting: boolean }>(
          { keyId: string, until: isoDate, waiting: boolean },
          false,
        ),
      ),
    ),
    protected: optional(boolean),
  },
  true,
);

const daemonState = object<DaemonState>(
  {
    version: literal(1),
    pid: nullOr(integer()),
    schedule: nullOr(string),
    lastCheck: nullOr(isoDate),
    nextCheck: nullOr(isoDate),
    pausedUntil: nullOr(isoDate),
    idle: optional(
      nullOr(object<{ reason: string; since: string }>({ reason: string, since: isoDate }, false)),
    ),
    profiles: withDefault(recordOf(profileState), () => ({})),
  },
  true,
);

/** `value` as a state file's content, defaults filled in; throws StateShapeError where it is not. */
export function parseDaemonState(value: unknown): DaemonState {
  return daemonState(value, '');
}
