// `keyrot setup`: the first run. Lists every profile of the AWS files with what IAM says about its key,
// asks which static-key profiles to watch and at what age to rotate, adds them to keyrot's config.ini
// (as text, keeping every existing line), then offers the background service and a first dry run.
// Without a terminal it asks nothing: flags are the answers, and without --yes it only says what it
// would do.
import { readFile } from 'node:fs/promises';
import { preloadAwsSdk } from '../aws/clients.js';
import { withProfileSections } from '../config/add-profiles.js';
import { scanIni } from '../config/ini-lines.js';
import { loadSettings, parseSettings } from '../config/load-settings.js';
import { homeDir, keyrotPaths } from '../config/paths.js';
import { PROFILE_KEYS, type Settings } from '../config/settings.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { describeError, errorText, exitCodeOf } from '../errors/describe-error.js';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { CredentialFilesPort } from '../rotation/ports.js';
import type { ProfileKind } from '../rotation/profile-kind.js';
import { profileRefusal } from '../rotation/profile-kind.js';
import { tildify } from '../service/manage.js';
import { type Asker, openAsker } from './ask.js';
import type { CommandContext } from './context.js';
import { credentialFilesPort } from './credential-files-port.js';
import type { ServiceCommandDeps } from './service.js';
import { inspectOnline, maskedStatus, type StatusRow } from './status.js';
import { keysSummary, textTable } from './text-table.js';

/** Options of `keyrot setup`. */
export interface SetupInput {
  profile?: string[];
  maxAgeDays?: string;
  service?: boolean;
  withTray?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** Test seams: what `service install` runs the service manager with. */
export interface SetupDeps {
  service?: ServiceCommandDeps;
}

/** A profile of the AWS files as setup shows it (key ids masked). */
type SurveyRow = Omit<StatusRow, 'lastResult' | 'dueAt' | 'due' | 'oldKeyActive'> & {
  /** STS accepted the key (IAM may still want MFA for the key list). */
  works: boolean;
  /** Already has a section in config.ini. */
  watched: boolean;
};

/** What setup will do (or did). */
interface SetupPlan {
  configFile: string;
  watch: { profile: string; maxAgeDays: number; added: boolean }[];
  /** The text appended to config.ini (empty when every chosen profile is already watched). */
  added: string;
  next: string;
  service: { install: boolean; withTray: boolean };
}

const KIND_LABEL: Record<ProfileKind, string> = {
  static: 'static key',
  session: 'session',
  sso: 'SSO',
  role: 'role',
  process: 'process',
  'web-identity': 'web identity',
  none: 'no key',
};

const DEFAULT_MAX_AGE = 90;

/** `keyrot setup [--profile P]... [--max-age-days N] [--service] [--with-tray] [--yes] [--json]`. */
export async function setupCommand(
  input: SetupInput,
  ctx: CommandContext,
  deps: SetupDeps = {},
): Promise<ExitCodeValue> {
  const { env } = ctx.io;
  void preloadAwsSdk().catch(() => undefined);
  // An invalid config.ini stops here, before anything is asked or written.
  const settings = await loadSettings({ path: ctx.globals.config, env });
  const configFile = ctx.globals.config ?? keyrotPaths(env).configFile;
  const existing = await readFile(configFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  const explicitlyWatched = new Set(
    existing !== null && scanIni(existing, configFile).sections.length > 0 ? settings.watch : [],
  );

  const files = credentialFilesPort(env, ctx.globals);
  const shared = await files.read();
  const names = [...new Set([...shared.credentials.keys(), ...shared.config.keys()])];
  const choose = (list: string[]) => validProfiles(list, shared, files.paths, names);
  // Flags are checked before IAM is asked anything: a typo fails at once.
  const named = input.profile?.length ? choose(input.profile) : undefined;
  const maxAgeDefault =
    input.maxAgeDays !== undefined ? parseMaxAge(input.maxAgeDays, settings) : DEFAULT_MAX_AGE;

  const rows = await survey(ctx, files, settings, names, explicitlyWatched);
  const home = homeDir(env);
  const where = `${tildify(files.paths.credentialsFile, home)} and ${tildify(files.paths.configFile, home)}`;
  if (!input.json) ctx.io.stdout.write(`Profiles in ${where}:\n${surveyTable(rows)}`);
  const defaults = rows.filter((r) => r.kind === 'static' && r.works).map((r) => r.profile);
  const interactive = ctx.io.isTTY && !input.yes && !input.json;
  const desktop = process.platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);

  let chosen: string[];
  let maxAgeDays: number;
  const asker = interactive ? openAsker(ctx) : undefined;
  try {
    if (asker) {
      chosen = await askProfiles(asker, rows, named ?? defaults, choose, ctx);
      if (chosen.length === 0) {
        ctx.io.stdout.write('No profile chosen: nothing written.\n');
        return ExitCode.ok;
      }
      maxAgeDays = await askMaxAge(asker, maxAgeDefault, settings, ctx);
    } else {
      chosen = named ?? defaults;
      maxAgeDays = maxAgeDefault;
      if (chosen.length === 0) {
        throw new KeyrotError(
          'USAGE',
          'no profile to watch: no static-key profile answered with a working key',
          {
            hint: `Name the profiles to watch with --profile (profiles found: ${names.join(', ') || 'none'}).`,
          },
        );
      }
    }

    const toAdd = chosen.filter((profile) => !explicitlyWatched.has(profile));
    const date = new Date().toISOString().slice(0, 10);
    const text = toAdd.length
      ? withProfileSections(
          existing,
          toAdd.map((name) => ({ name, maxAgeDays })),
          `Added by \`keyrot setup\` on ${date}.`,
        )
      : (existing ?? '');
    await checkReadsBack(configFile, text, toAdd, maxAgeDays, env);
    const plan: SetupPlan = {
      configFile,
      watch: chosen.map((profile) => ({
        profile,
        maxAgeDays: explicitlyWatched.has(profile) ? settings.profile(profile).maxAgeDays : maxAgeDays,
        added: toAdd.includes(profile),
      })),
      added: text.slice((existing ?? '').length),
      next: `keyrot setup ${chosen.map((p) => `--profile ${shellWord(p)}`).join(' ')} --max-age-days ${maxAgeDays}${input.service ? ' --service' : ''}${input.withTray ? ' --with-tray' : ''} --yes`,
      service: { install: Boolean(input.service || input.withTray), withTray: Boolean(input.withTray) },
    };

    if (asker) {
      printPlan(plan, ctx, 'will');
      if (plan.added && !(await asker.yesNo(`Write this to ${tildify(configFile, home)}?`, true))) {
        ctx.io.stdout.write('Nothing written.\n');
        return ExitCode.ok;
      }
    } else if (!input.yes) {
      if (input.json) ctx.io.stdout.write(`${JSON.stringify(jsonDocument(rows, plan, false), null, 2)}\n`);
      else {
        printPlan(plan, ctx, 'would');
        ctx.io.stdout.write(
          `Nothing changed: not on a terminal, and there is no --yes. To do it:\n  ${plan.next}\n`,
        );
      }
      return ExitCode.ok;
    }

    if (plan.added) await writeFileAtomic(configFile, text, { create: true, warn: (m) => warn(ctx, m) });
    if (!input.json) printResult(plan, rows, ctx);

    if (asker && !plan.service.install) {
      plan.service.install = await asker.yesNo(
        'Install the background service (it starts at login and checks your keys every hour)?',
        true,
      );
      if (plan.service.install && desktop) {
        plan.service.withTray = await asker.yesNo('Also show the tray icon at login?', true);
      }
    }
    // A service that cannot be installed does not undo the settings just written: say so, and go on.
    let serviceFailure: unknown;
    if (plan.service.install) {
      const { serviceCommand } = await import('./service.js');
      const quiet = input.json ? { ...ctx, io: { ...ctx.io, stdout: ctx.io.stderr } } : ctx;
      try {
        await serviceCommand({ args: ['install'], withTray: plan.service.withTray }, quiet, deps.service);
      } catch (error) {
        serviceFailure = error;
        ctx.io.stderr.write(errorText(error, { about: 'service install', verbose: ctx.globals.verbose }));
        ctx.io.stderr.write(
          `keyrot: your settings are saved in ${tildify(configFile, home)}; the service is not installed: fix the above, then run \`keyrot service install${plan.service.withTray ? ' --with-tray' : ''}\`\n`,
        );
      }
    }
    const finalCode = serviceFailure === undefined ? ExitCode.ok : exitCodeOf(serviceFailure);
    if (input.json) {
      const document = jsonDocument(rows, plan, true);
      if (plan.service.install) {
        document.service = {
          ...plan.service,
          installed: serviceFailure === undefined,
          ...(serviceFailure === undefined ? {} : { error: describeError(serviceFailure) }),
        };
      }
      ctx.io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return finalCode;
    }
    if (asker && (await asker.yesNo('Do a first dry run now (`keyrot rotate-now --all --dry-run`)?', true))) {
      // The dry run may ask for an MFA code itself: this conversation ends first.
      asker.close();
      const { rotateNowCommand } = await import('./rotate-now.js');
      const code = await rotateNowCommand({ all: true, dryRun: true }, ctx);
      if (code !== ExitCode.ok) return code;
    }
    if (serviceFailure !== undefined) return finalCode;
    ctx.io.stdout.write('Done. `keyrot status` shows your keys at any time.\n');
    return ExitCode.ok;
  } finally {
    asker?.close();
  }
}

/** What IAM says about each profile, asked with the profile's own key, all at once. */
function survey(
  ctx: CommandContext,
  files: CredentialFilesPort,
  settings: Settings,
  names: string[],
  watched: Set<string>,
): Promise<SurveyRow[]> {
  return Promise.all(
    names.map(async (profile): Promise<SurveyRow> => {
      const status = await inspectOnline(ctx, files, settings, profile);
      // No due date here: it follows from the maximum age still to be chosen.
      const { dueAt: _dueAt, due: _due, ...masked } = maskedStatus(status);
      return { profile, ...masked, works: status.userArn !== undefined, watched: watched.has(profile) };
    }),
  );
}

/** The survey as a numbered table, notes below. */
function surveyTable(rows: SurveyRow[]): string {
  if (rows.length === 0) return '  (none: add a key with `aws configure`)\n';
  const body = rows.map((r, i) => [
    String(i + 1),
    r.profile,
    KIND_LABEL[r.kind as ProfileKind] ?? r.kind,
    r.keyId ?? '-',
    r.ageDays === null ? '-' : `${r.ageDays} d`,
    r.keys ? keysSummary(r.keys) : '-',
    r.kind !== 'static' ? '-' : r.works ? 'works' : 'fails',
    r.watched ? 'yes' : '',
  ]);
  let out = textTable(['#', 'PROFILE', 'KIND', 'KEY', 'AGE', 'USER KEYS', 'KEY WORKS', 'WATCHED'], body);
  for (const r of rows) if (r.note) out += `  ${r.profile}: ${r.note}\n`;
  return out;
}

/** The named profiles, each checked: in the AWS files, and holding a static key. */
function validProfiles(
  list: string[],
  shared: Parameters<typeof profileRefusal>[0],
  paths: Parameters<typeof profileRefusal>[2],
  names: string[],
): string[] {
  const chosen = [...new Set(list)];
  for (const profile of chosen) {
    const { error, profile: classified } = profileRefusal(shared, profile, paths);
    // A protected profile's key is in the keychain (`keyrot protect`): rotations find it there.
    if (!error || isProtectedProfile(shared, profile)) continue;
    if (!classified?.reason) {
      throw new KeyrotError('USAGE', error.message, {
        hint: `Nothing was written. Profiles found: ${names.join(', ') || 'none'}.`,
      });
    }
    throw new KeyrotError('USAGE', `profile "${profile}" cannot be watched: ${classified.reason}`, {
      hint: 'Only profiles with a long-term access key (a static key) can be watched; nothing was written.',
    });
  }
  return chosen;
}

/** --max-age-days as config.ini reads max_age_days, and above warn_days. */
function parseMaxAge(text: string, settings: Settings): number {
  const rule = PROFILE_KEYS.max_age_days!;
  const decoded = rule.decode(text);
  if (!decoded) {
    throw new KeyrotError('USAGE', `the maximum age must be ${rule.expected}, not ${JSON.stringify(text)}`, {
      hint: 'Nothing was written.',
    });
  }
  const days = decoded.value as number;
  // A name that has no section gets the file's top-level policy.
  const { warnDays } = settings.profile('');
  if (days <= warnDays) {
    throw new KeyrotError(
      'USAGE',
      `the maximum age (${days} days) must be more than warn_days (${warnDays})`,
      {
        hint: 'Nothing was written.',
      },
    );
  }
  return days;
}

async function askProfiles(
  asker: Asker,
  rows: SurveyRow[],
  defaults: string[],
  choose: (list: string[]) => string[],
  ctx: CommandContext,
): Promise<string[]> {
  const shown = defaults.length ? defaults.join(' ') : 'none';
  for (;;) {
    const answer = await asker.line(
      `Watch which profiles? Names or numbers, separated by spaces (Enter: ${shown}; "none": none): `,
    );
    if (answer === null) return [];
    if (answer === '') return defaults;
    if (/^none$/i.test(answer)) return [];
    const picked = answer
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((word) => (/^\d+$/.test(word) && rows[Number(word) - 1] ? rows[Number(word) - 1]!.profile : word));
    try {
      return choose(picked);
    } catch (error) {
      ctx.io.stderr.write(`${describeError(error).message}; try again.\n`);
    }
  }
}

async function askMaxAge(
  asker: Asker,
  fallback: number,
  settings: Settings,
  ctx: CommandContext,
): Promise<number> {
  for (;;) {
    const answer = await asker.line(`Rotate a key when it is how many days old? (Enter: ${fallback}) `);
    if (answer === null || answer === '') return fallback;
    try {
      return parseMaxAge(answer, settings);
    } catch (error) {
      ctx.io.stderr.write(`${describeError(error).message}; try again.\n`);
    }
  }
}

/** The new text must read back as the chosen profiles with the chosen age, or nothing is written. */
async function checkReadsBack(
  file: string,
  text: string,
  added: string[],
  maxAgeDays: number,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const after = await parseSettings(file, text, env);
  for (const profile of added) {
    if (!after.watch.includes(profile) || after.profile(profile).maxAgeDays !== maxAgeDays) {
      throw new KeyrotError(
        'USAGE',
        `profile name ${JSON.stringify(profile)} cannot be written as a config.ini section`,
        {
          hint: 'Nothing was written. Rename the profile in the AWS files, or add its section by hand.',
        },
      );
    }
  }
}

function printPlan(plan: SetupPlan, ctx: CommandContext, verb: 'will' | 'would'): void {
  const out = ctx.io.stdout;
  const home = homeDir(ctx.io.env);
  for (const w of plan.watch.filter((entry) => !entry.added)) {
    out.write(
      `${w.profile} is already watched (max_age_days = ${w.maxAgeDays}); its section stays as it is.\n`,
    );
  }
  if (plan.added) {
    out.write(`keyrot ${verb} add to ${tildify(plan.configFile, home)}:\n`);
    out.write(indent(plan.added));
  }
  if (plan.service.install) {
    out.write(
      `keyrot ${verb} run \`keyrot service install${plan.service.withTray ? ' --with-tray' : ''}\`.\n`,
    );
  }
}

function printResult(plan: SetupPlan, rows: SurveyRow[], ctx: CommandContext): void {
  const out = ctx.io.stdout;
  if (plan.added) out.write(`Wrote ${tildify(plan.configFile, homeDir(ctx.io.env))}.\n`);
  out.write('keyrot now watches:\n');
  for (const w of plan.watch) {
    const age = rows.find((r) => r.profile === w.profile)?.ageDays ?? null;
    const when =
      age === null
        ? 'age unknown until IAM answers'
        : age >= w.maxAgeDays
          ? `key ${age} days old: due now (\`keyrot rotate-now --profile ${shellWord(w.profile)}\`)`
          : `key ${age} days old: due in ${w.maxAgeDays - age} days`;
    out.write(`  ${w.profile}: rotate at ${w.maxAgeDays} days; ${when}\n`);
  }
}

function jsonDocument(rows: SurveyRow[], plan: SetupPlan, applied: boolean): Record<string, unknown> {
  return {
    applied,
    configFile: plan.configFile,
    profiles: rows,
    watch: plan.watch,
    added: plan.added,
    service: plan.service,
    ...(applied ? {} : { next: plan.next }),
  };
}

function indent(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((line, i, all) => line !== '' || i < all.length - 1)
    .map((line) => (line ? `  ${line}\n` : '\n'))
    .join('');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function warn(ctx: CommandContext, message: string): void {
  ctx.io.stderr.write(`keyrot: warning: ${message}\n`);
}
