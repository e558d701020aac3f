// Reads keyrot's config.ini: every key is checked on its own so an error can name the key, its
// section and its line; nothing unknown is silently ignored (a typo would otherwise disable a policy).
import { KeyrotError } from '../errors/keyrot-error.js';
import { realFs } from '../fs/fs-port.js';
import { didYouMean } from './did-you-mean.js';
import { type IniEntry, type IniSection, scanIni } from './ini-lines.js';
import { keyrotPaths } from './paths.js';
import {
  DEFAULT_PROFILE_SETTINGS,
  GLOBAL_KEYS,
  type KeyRule,
  type LogLevel,
  PROFILE_KEYS,
  type ProfileSettings,
  type Settings,
} from './settings.js';

/** Options of loadSettings. */
export interface LoadSettingsOptions {
  /** An explicit settings file (`--config`); otherwise KEYROT_CONFIG or the default location. */
  path?: string;
  env: NodeJS.ProcessEnv;
  /** Injected for tests; defaults to the real file system (src/fs/fs-port.ts realFs). */
  readFile?: (path: string, encoding: 'utf8') => Promise<string>;
}

/**
 * Loads and validates keyrot's settings. A missing file at the default location means the defaults;
 * a missing file that was named explicitly (`--config`, KEYROT_CONFIG) is an error.
 */
export async function loadSettings(options: LoadSettingsOptions): Promise<Settings> {
  const { env } = options;
  const file = options.path ?? keyrotPaths(env).configFile;
  const explicit = options.path !== undefined || Boolean(env.KEYROT_CONFIG);
  let text: string;
  try {
    text = options.readFile
      ? await options.readFile(file, 'utf8')
      : (await realFs.readFile(file)).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return parseSettings(null, '', env);
    if (code === 'ENOENT') {
      throw new KeyrotError('FILE_NOT_FOUND', `keyrot's settings file ${file} does not exist`, {
        file,
        cause: error,
        hint: 'Create it, or drop --config / KEYROT_CONFIG to use the defaults.',
      });
    }
    throw new KeyrotError('FILE_UNREADABLE', `cannot read keyrot's settings file ${file} (${code})`, {
      file,
      cause: error,
    });
  }
  return parseSettings(file, text, env);
}

/** Validates settings text (already read from `file`); exported for tests and `keyrot doctor`. */
export async function parseSettings(
  file: string | null,
  text: string,
  env: NodeJS.ProcessEnv,
): Promise<Settings> {
  const where = file ?? 'config.ini';
  const { sections, entries } = scanIni(text, where);
  const profileNames = sections.map((section) => profileNameOf(section, where));

  const globals: Record<string, unknown> = {};
  const defaults: Record<string, unknown> = {};
  const perProfile = new Map<string, Record<string, unknown>>();
  for (const name of profileNames) if (!perProfile.has(name)) perProfile.set(name, {});
  // Lines of warn_days / max_age_days per scope (profile name, or '' for the top), to point at them.
  const policyLines = new Map<string, number>();

  for (const entry of entries) {
    const inSection = entry.section !== null;
    const rule = inSection ? PROFILE_KEYS[entry.key] : (GLOBAL_KEYS[entry.key] ?? PROFILE_KEYS[entry.key]);
    if (!rule) throw unknownKey(entry, where);
    const value = decode(entry, rule, where);
    if (entry.key === 'after_rotate') checkCommandLine(entry, where);
    if (entry.key === 'schedule') await checkSchedule(entry, value as string, where);
    if (!inSection) {
      (entry.key in GLOBAL_KEYS ? globals : defaults)[rule.field] = value;
    } else {
      const name = profileNameOf({ name: entry.section as string, line: entry.sectionLine }, where);
      (perProfile.get(name) as Record<string, unknown>)[rule.field] = value;
    }
    if (
      entry.key === 'warn_days' ||
      (entry.key === 'max_age_days' && !policyLines.has(scopeOf(entry, where)))
    ) {
      policyLines.set(scopeOf(entry, where), entry.line);
    }
  }

  const baseline: ProfileSettings = {
    ...DEFAULT_PROFILE_SETTINGS,
    ...(defaults as Partial<ProfileSettings>),
  };
  const resolved = new Map<string, ProfileSettings>();
  for (const [name, values] of perProfile)
    resolved.set(name, { ...baseline, ...(values as Partial<ProfileSettings>) });
  for (const [name, policy] of [['', baseline] as const, ...resolved]) {
    if (policy.warnDays >= policy.maxAgeDays) {
      const section = name === '' ? 'at the top of the file' : `for profile ${name}`;
      throw new KeyrotError(
        'CONFIG_INVALID',
        `warn_days (${policy.warnDays}) must be smaller than max_age_days (${policy.maxAgeDays}) ${section}`,
        {
          file: where,
          line: policyLines.get(name) ?? policyLines.get(''),
          hint: 'Lower warn_days or raise max_age_days.',
        },
      );
    }
  }

  const watch = resolved.size > 0 ? [...resolved.keys()] : [env.AWS_PROFILE || 'default'];
  return {
    file,
    ...(globals.schedule !== undefined ? { schedule: globals.schedule as string } : {}),
    notify: (globals.notify as boolean | undefined) ?? true,
    keychain: (globals.keychain as 'os' | 'file' | undefined) ?? 'os',
    backupsKeep: (globals.backupsKeep as number | undefined) ?? 10,
    logLevel: (globals.logLevel as LogLevel | undefined) ?? 'info',
    watch,
    profile: (name) => ({ ...(resolved.get(name) ?? baseline) }),
  };
}

/** `[profile NAME]` → NAME; `[default]` → default (the same two spellings as ~/.aws/config). */
function profileNameOf(section: IniSection, file: string): string {
  if (section.name === 'default') return 'default';
  const match = /^profile\s+(.+)$/.exec(section.name);
  if (match?.[1]) return match[1].trim();
  const guess = /^profiles?\b/i.test(section.name)
    ? `[profile ${section.name.replace(/^\S+\s*/, '')}]`
    : undefined;
  throw new KeyrotError('CONFIG_INVALID', `unknown section [${section.name}] at line ${section.line}`, {
    file,
    line: section.line,
    hint: guess
      ? `Did you mean ${guess}? Sections are [profile NAME] or [default]; global keys go above the first section.`
      : 'Sections are [profile NAME] or [default]; global keys (schedule, notify, …) go above the first section.',
  });
}

/** The profile an entry configures, or '' for the top of the file. */
function scopeOf(entry: IniEntry, file: string): string {
  return entry.section === null ? '' : profileNameOf({ name: entry.section, line: entry.sectionLine }, file);
}

function describeSection(entry: IniEntry): string {
  return entry.section === null ? 'at the top of the file' : `in [${entry.section}]`;
}

function unknownKey(entry: IniEntry, file: string): KeyrotError {
  const section = describeSection(entry);
  if (entry.section !== null && entry.key in GLOBAL_KEYS) {
    return new KeyrotError(
      'CONFIG_INVALID',
      `${entry.key} ${section} at line ${entry.line} is a global setting`,
      {
        file,
        line: entry.line,
        hint: `Move \`${entry.key} = …\` above the first section of the file.`,
      },
    );
  }
  const known =
    entry.section === null
      ? [...Object.keys(GLOBAL_KEYS), ...Object.keys(PROFILE_KEYS)]
      : Object.keys(PROFILE_KEYS);
  const guess = didYouMean(entry.key, known);
  return new KeyrotError('CONFIG_INVALID', `unknown key ${entry.key} ${section} at line ${entry.line}`, {
    file,
    line: entry.line,
    hint: `${guess ? `Did you mean ${guess}? ` : ''}Known keys here: ${known.join(', ')}.`,
  });
}

function decode(entry: IniEntry, rule: KeyRule, file: string): unknown {
  const decoded = rule.decode(entry.value);
  if (decoded) return decoded.value;
  const got = typeof entry.value === 'string' ? JSON.stringify(entry.value) : String(entry.value);
  return fail(
    entry,
    file,
    `${entry.key} ${describeSection(entry)} at line ${entry.line} must be ${rule.expected}, not ${got}`,
  );
}

/**
 * The `ini` package ends an unquoted value at `;` or `#` (an INI comment) and strips one pair of single
 * quotes, so `after_rotate = a; b` would silently run only `a`. A command is refused unless it reaches
 * the shell exactly as written: the hint gives the double-quoted line that does.
 */
function checkCommandLine(entry: IniEntry, file: string): void {
  const { raw } = entry;
  const quoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"');
  if (quoted) return;
  const singleQuoted = raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'");
  const cut = singleQuoted ? -1 : commentStart(raw);
  // `"./hook.sh"   ; note`: a quoted command, then a comment; the shell removes the quotes ini keeps.
  const head = cut >= 0 ? raw.slice(0, cut) : '';
  const commentAfterQuoted = /^(?:"[^"]*"|'[^']*')\s+$/.test(head);
  const mangled = singleQuoted ? raw.slice(1, -1).includes("'") : cut >= 0 && !commentAfterQuoted;
  if (!mangled) return;
  const where = `${entry.key} ${describeSection(entry)} at line ${entry.line}`;
  const runs = typeof entry.value === 'string' ? entry.value : String(entry.value);
  const why = singleQuoted
    ? 'starts and ends with a single quote, which the INI format removes'
    : `has an unquoted "${raw[cut]}", where the INI format starts a comment`;
  fail(
    entry,
    file,
    `${where} ${why}: keyrot would run \`${runs}\`, not \`${raw}\``,
    `Put the whole command in double quotes, as in \`${entry.key} = ${JSON.stringify(raw)}\` ` +
      '(inside them ; and # belong to the command; escape a double quote as \\"). ' +
      'If the rest was meant as a comment, put it on a line of its own.',
  );
}

/** Where the `ini` package would cut an unquoted value: the first `;` or `#` not escaped by a backslash; -1 if none. */
function commentStart(raw: string): number {
  let escaped = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ';' || c === '#') return i;
  }
  return -1;
}

async function checkSchedule(entry: IniEntry, expression: string, file: string): Promise<void> {
  // node-cron is loaded only when a schedule is set: most commands never need it.
  const { validateDetailed } = await import('node-cron');
  const result = validateDetailed(expression);
  if (result.valid) return;
  const reason = result.errors.map((error: { message: string }) => error.message).join('; ');
  fail(
    entry,
    file,
    `schedule at line ${entry.line} is not a valid cron expression (${reason}): "${expression}"`,
    'Use five fields, minute hour day month weekday, e.g. "17 * * * *" for hourly at minute 17.',
  );
}

function fail(entry: IniEntry, file: string, message: string, hint?: string): never {
  throw new KeyrotError('CONFIG_INVALID', message, { file, line: entry.line, ...(hint ? { hint } : {}) });
}
