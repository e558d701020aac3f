// The shape of keyrot's settings and the rule for each key: how to decode it from INI text, what a
// person should write instead when it is wrong, and its default.
// Only whether a value passes, and what it becomes, is read: load-settings.ts words every error itself.
// Four small decoders rather than a schema library: every command reads these settings at its start.

/** Per-profile rotation policy. */
export interface ProfileSettings {
  /** Rotate when the key is this many days old (max_age_days, default 90). */
  maxAgeDays: number;
  /** Warn this many days before the due date (warn_days, default 7). */
  warnDays: number;
  /** What happens to the old key once the new one works (old_key, default deactivate). */
  oldKey: 'deactivate' | 'delete';
  /** What to do when the user already has a second, active key (other_active_key, default refuse). */
  otherActiveKey: 'refuse' | 'delete';
  /** Days an old, deactivated key is kept as a rollback path before it is deleted (grace_days, default 14). */
  graceDays: number;
  /**
   * Hours the old key stays Active after the files hold the new one, for processes that still hold it
   * (old_key_active_hours, default 0: retired at once). See docs/rotation-protocol.md, "The grace window".
   */
  oldKeyActiveHours: number;
  /**
   * At the window's end, keep an old key active while IAM reports uses of it after the rotation
   * (old_key_wait_while_used, default false: deactivate at the deadline, after a notification).
   */
  oldKeyWaitWhileUsed: boolean;
  /** A command run after a successful rotation, given the new key in its environment (after_rotate). */
  afterRotate?: string;
}

/** Log verbosity written to keyrot.log. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** keyrot's settings, from config.ini or the defaults. */
export interface Settings {
  /** The file the settings came from, or null when none exists and the defaults apply. */
  file: string | null;
  /** A cron expression for the daemon's checks (schedule); absent means the daemon's default. */
  schedule?: string;
  /** Desktop notifications on or off (notify, default true). */
  notify: boolean;
  /** Where backups and the rotation journal live (keychain, default os). */
  keychain: 'os' | 'file';
  /** How many credential-file backups to keep (backups_keep, default 10). */
  backupsKeep: number;
  /** Level of the log file (log_level, default info). */
  logLevel: LogLevel;
  /** Profiles the daemon watches: those with a section, else AWS_PROFILE or `default`. */
  watch: string[];
  /** The policy for one profile: its section over the top-level defaults over the built-in defaults. */
  profile(name: string): ProfileSettings;
}

/** The built-in per-profile policy. */
export const DEFAULT_PROFILE_SETTINGS: Readonly<ProfileSettings> = Object.freeze({
  maxAgeDays: 90,
  warnDays: 7,
  oldKey: 'deactivate',
  otherActiveKey: 'refuse',
  graceDays: 14,
  oldKeyActiveHours: 0,
  oldKeyWaitWhileUsed: false,
});

/** What a key's text decodes to, or null when it is not a valid value (`ini` gives strings and booleans). */
export type Decode = (value: unknown) => { value: unknown } | null;

/** How one INI key is checked and where its value goes. */
export interface KeyRule {
  /** The settings field this key sets. */
  field: string;
  decode: Decode;
  /** What a valid value looks like, for the error message. */
  expected: string;
}

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

/** Text (trimmed) that is a whole number from min to max, as that number. */
const wholeNumber =
  (min: number, max: number): Decode =>
  (value) => {
    if (typeof value !== 'string' || !/^\d+$/.test(value.trim())) return null;
    const n = Number(value.trim());
    return Number.isSafeInteger(n) && n >= min && n <= max ? { value: n } : null;
  };

/** A boolean as `ini` decodes true/false, or yes/no/on/off/1/0 in any case. */
const boolean: Decode = (value) => {
  if (typeof value === 'boolean') return { value };
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  return TRUE.includes(word) ? { value: true } : FALSE.includes(word) ? { value: false } : null;
};

/** Trimmed text that is one of `values`. */
const oneOf =
  (...values: string[]): Decode =>
  (value) =>
    typeof value === 'string' && values.includes(value.trim()) ? { value: value.trim() } : null;

/** Trimmed, non-empty text. */
const text: Decode = (value) =>
  typeof value === 'string' && value.trim().length > 0 ? { value: value.trim() } : null;

/** Keys allowed only at the top of the file, before any section. */
export const GLOBAL_KEYS: Readonly<Record<string, KeyRule>> = {
  schedule: {
    field: 'schedule',
    decode: text,
    expected: 'a cron expression such as "17 * * * *" (minute hour day month weekday)',
  },
  notify: { field: 'notify', decode: boolean, expected: 'true or false' },
  keychain: { field: 'keychain', decode: oneOf('os', 'file'), expected: '"os" or "file"' },
  backups_keep: {
    field: 'backupsKeep',
    decode: wholeNumber(1, 1000),
    expected: 'a whole number from 1 to 1000',
  },
  log_level: {
    field: 'logLevel',
    decode: oneOf('error', 'warn', 'info', 'debug'),
    expected: 'error, warn, info or debug',
  },
};

/** Keys allowed in a `[profile NAME]` section, or at the top of the file as the default for every profile. */
export const PROFILE_KEYS: Readonly<Record<string, KeyRule>> = {
  max_age_days: {
    field: 'maxAgeDays',
    decode: wholeNumber(1, 3650),
    expected: 'a whole number of days from 1 to 3650',
  },
  warn_days: {
    field: 'warnDays',
    decode: wholeNumber(0, 3650),
    expected: 'a whole number of days from 0 to 3650',
  },
  old_key: { field: 'oldKey', decode: oneOf('deactivate', 'delete'), expected: '"deactivate" or "delete"' },
  other_active_key: {
    field: 'otherActiveKey',
    decode: oneOf('refuse', 'delete'),
    expected: '"refuse" or "delete"',
  },
  grace_days: {
    field: 'graceDays',
    decode: wholeNumber(0, 3650),
    expected: 'a whole number of days from 0 to 3650',
  },
  old_key_active_hours: {
    field: 'oldKeyActiveHours',
    decode: wholeNumber(0, 720),
    expected: 'a whole number of hours from 0 to 720',
  },
  old_key_wait_while_used: { field: 'oldKeyWaitWhileUsed', decode: boolean, expected: 'true or false' },
  after_rotate: { field: 'afterRotate', decode: text, expected: 'a command line' },
};
