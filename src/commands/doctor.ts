// `keyrot doctor`: checks everything keyrot needs, one line each, with what to do about each problem.
// Exit 1 when a check fails; warnings (optional parts such as the service or notifications) keep 0.
import { spawnSync } from 'node:child_process';
import { readFile, realpath, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { awsCliMismatch, awsCliMismatchWarning, resolveAwsFilePaths } from '../credentials/paths.js';
import { mergedProfileValues, readSharedFiles, type SharedFilesReading } from '../credentials/read.js';
import { describeError, messageWithPlace } from '../errors/describe-error.js';
import { ExitCode, type ExitCodeValue, isKeyrotError } from '../errors/keyrot-error.js';
import { maskKeyId, redactText } from '../errors/redact.js';
import { checkReplaceable } from '../fs/replaceable.js';
import { writableByOthers } from '../fs/writable-by-others.js';
import { type Keychain, type OpenKeychainOptions, openKeychain } from '../keychain/open-keychain.js';
import { runProgram } from '../platform/mac-cpu.js';
import { checkInstalledUnit } from '../service/check-installed.js';
import { keyrotEntryPath } from '../service/entry-path.js';
import { unitStatuses } from '../service/manage.js';
import { MIN_NODE_MAJOR, TESTED_NODE_MAJORS } from '../service/node-path.js';
import { planService } from '../service/render.js';
import { type CommandRunner, execRunner } from '../service/runner.js';
import { serviceSpec } from '../service/spec.js';
import { loadTemplates } from '../service/templates.js';
import { readStateFile } from '../state/state-file.js';
import type { CommandContext } from './context.js';
import { checkMacDesktop, checkWindowsNotifications } from './doctor-desktop.js';
import { checkProtectedProfiles } from './doctor-protected.js';
import { checkReaders } from './doctor-readers.js';
import type { CheckLevel, CheckResult } from './doctor-result.js';
import { runningInstances } from './running-instances.js';

/** Options of `keyrot doctor`. */
export interface DoctorInput {
  /** Print one JSON document ({ checks, failed, warnings }) instead of the checklist. */
  json?: boolean;
}

export type { CheckLevel, CheckResult } from './doctor-result.js';

/** Test seams (the real node version, keychain and command runner by default). */
export interface DoctorDeps {
  nodeVersion?: string;
  /** Opens (and so checks) the keychain; doctor closes what it returns. */
  openKeychain?: (options: OpenKeychainOptions) => Promise<Pick<Keychain, 'close'>>;
  run?: CommandRunner;
  /** The OS whose rules apply (default process.platform). */
  platform?: NodeJS.Platform;
}

const MARK: Record<CheckLevel, string> = { ok: '✓', warn: '!', fail: '✗' };

/** `keyrot doctor`: prints the checklist; exit 0 when nothing failed, else 1. */
export async function doctorCommand(
  input: DoctorInput,
  ctx: CommandContext,
  deps: DoctorDeps = {},
): Promise<ExitCodeValue> {
  const results = await runDoctorChecks(ctx, deps);
  const out = ctx.io.stdout;
  const failed = results.filter((result) => result.level === 'fail').length;
  const warned = results.filter((result) => result.level === 'warn').length;
  if (input.json) {
    const checks = results.map((result) => ({
      ...result,
      text: redactText(result.text),
      ...(result.fix ? { fix: redactText(result.fix) } : {}),
    }));
    out.write(`${JSON.stringify({ checks, failed, warnings: warned }, null, 2)}\n`);
    return failed ? ExitCode.failed : ExitCode.ok;
  }
  out.write('keyrot doctor\n');
  for (const result of results) {
    out.write(`  ${MARK[result.level]} ${redactText(result.text)}\n`);
    if (result.fix) out.write(`      fix: ${redactText(result.fix)}\n`);
  }
  out.write(
    failed
      ? `${failed} problem${failed === 1 ? '' : 's'} to fix${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}\n`
      : `all good${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}\n`,
  );
  return failed ? ExitCode.failed : ExitCode.ok;
}

/** Runs every check in order; never throws (a check that breaks is reported as failed). */
export async function runDoctorChecks(ctx: CommandContext, deps: DoctorDeps = {}): Promise<CheckResult[]> {
  const { env } = ctx.io;
  const results: CheckResult[] = [checkNode(deps.nodeVersion ?? process.versions.node)];

  let settings: Settings | undefined;
  try {
    settings = await loadSettings({ path: ctx.globals.config, env });
    results.push({
      level: 'ok',
      text: settings.file
        ? `settings ${settings.file} are valid (watching ${settings.watch.join(', ')})`
        : `no settings file (${keyrotPaths(env).configFile}); defaults apply, watching ${settings.watch.join(', ')}`,
    });
  } catch (error) {
    results.push(failure('settings are invalid', error));
  }

  const paths = resolveAwsFilePaths(env, {
    credentialsFile: ctx.globals.credentialsFile,
    configFile: ctx.globals.awsConfigFile,
  });
  const platform = deps.platform ?? process.platform;
  results.push(await checkPrivateFile('credentials file', paths.credentialsFile, true, platform));
  results.push(await checkPrivateFile('AWS config file', paths.configFile, false, platform));
  if (platform !== 'win32') {
    results.push(...(await checkDirectoriesPrivate([paths.credentialsFile, paths.configFile])));
  }
  const mismatch = awsCliMismatch(
    env,
    { credentialsFile: ctx.globals.credentialsFile, configFile: ctx.globals.awsConfigFile },
    platform,
  );
  if (mismatch) results.push({ level: 'warn', ...awsCliMismatchWarning(mismatch) });
  for (const file of [paths.credentialsFile, paths.configFile]) {
    const result = await checkRotationCanReplace(file);
    if (result) results.push(result);
  }
  let reading: SharedFilesReading | undefined;
  try {
    reading = await readSharedFiles(paths);
  } catch (error) {
    results.push(failure('the AWS files cannot be read', error));
  }
  if (reading && settings) {
    for (const profile of settings.watch) results.push(checkProfile(profile, reading));
  }
  results.push(...(await checkReaders(paths)));

  const { stateDir } = keyrotPaths(env);
  try {
    const keychain = await (deps.openKeychain ?? openKeychain)({
      env,
      backend: settings?.keychain ?? 'os',
      stateDir,
      warn: () => {},
    });
    // A test seam may hand in a keychain without values: then there is nothing to read protected keys from.
    const opened = keychain as Partial<Keychain>;
    let protectedChecks: CheckResult[] = [];
    try {
      if (reading && opened.backend === 'os' && opened.values) {
        protectedChecks = await checkProtectedProfiles(reading, opened.values.store, paths.configFile);
      }
    } finally {
      await keychain.close?.();
    }
    results.push({
      level: 'ok',
      text: `keychain reachable (${settings?.keychain === 'file' ? 'plain files, opted in' : 'OS keychain'})`,
    });
    results.push(...protectedChecks);
  } catch (error) {
    results.push(failure('keychain not reachable', error));
  }

  const notify = !settings || settings.notify;
  if (platform === 'darwin') results.push(...(await checkMacDesktop(deps.run ?? runProgram, notify)));
  else if (platform === 'win32' && notify) results.push(await checkWindowsNotifications(env));
  else results.push(checkNotifications(settings, env));
  results.push(...(await checkService(ctx, deps, stateDir)));
  return results;
}

function checkNode(version: string): CheckResult {
  const major = Number(version.split('.')[0]);
  const tested = TESTED_NODE_MAJORS.join(', ');
  if (major < MIN_NODE_MAJOR) {
    return {
      level: 'fail',
      text: `node ${version} is too old (keyrot needs ${MIN_NODE_MAJOR} or later)`,
      fix: `install Node.js ${MIN_NODE_MAJOR} or later (keyrot is tested on ${tested})`,
    };
  }
  if (!TESTED_NODE_MAJORS.includes(major)) {
    return {
      level: 'warn',
      text: `node ${version}: keyrot is tested on Node ${tested}, not ${major}`,
      fix: `it probably works; if something fails, try Node ${TESTED_NODE_MAJORS.at(-1)}`,
    };
  }
  return { level: 'ok', text: `node ${version}` };
}

/** A file holding keys must exist (if required) and be readable by its owner only. */
async function checkPrivateFile(
  label: string,
  file: string,
  required: boolean,
  platform: NodeJS.Platform,
): Promise<CheckResult> {
  let mode: number;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required)
      return { level: 'ok', text: `${label} ${file} not present (optional)` };
    if (code === 'ENOENT') {
      return {
        level: 'fail',
        text: `${label} ${file} does not exist`,
        fix: 'create it with `aws configure`, or point keyrot at yours with --credentials-file or AWS_SHARED_CREDENTIALS_FILE',
      };
    }
    return {
      level: 'fail',
      text: `${label} ${file} cannot be checked (${code})`,
      fix: `check the permissions of ${file}`,
    };
  }
  // Windows has no POSIX modes: node reports 0666/0444, which mean nothing about other users. What
  // protects the file there is its access control list, which keyrot does not read.
  if (platform === 'win32') {
    return {
      level: 'ok',
      text: `${label} ${file} (its access control list is not checked: \`icacls "${file}"\` shows who may read it)`,
    };
  }
  if ((mode & 0o077) !== 0) {
    const access = mode & 0o022 ? 'read and written' : 'read';
    return {
      level: 'fail',
      text: `${label} ${file} can be ${access} by others (mode ${octal(mode)})`,
      fix: `chmod 600 ${file}`,
    };
  }
  return { level: 'ok', text: `${label} ${file} (mode ${octal(mode)})` };
}

/**
 * The directories above the AWS files (and above their symlink targets) must not be writable by a group or
 * others: whoever can write one can replace the files, and with them the keys keyrot reads and writes.
 */
async function checkDirectoriesPrivate(files: string[]): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>();
  for (const file of files) {
    try {
      for (const entry of await writableByOthers(file)) {
        if (!entry.directory || results.has(entry.path)) continue;
        results.set(entry.path, {
          level: 'fail',
          text: `directory ${entry.path} can be written by others (mode ${octal(entry.mode)}): they could replace the AWS files below it`,
          fix: `chmod go-w ${entry.path}`,
        });
      }
    } catch (error) {
      results.set(file, failure(`the directories above ${file} cannot be checked`, error));
    }
  }
  return [...results.values()];
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * What the rotation's pre-flight would refuse about an existing file (a hard link, a bind mount, another
 * user's file), found before a rotation runs into it; nothing when the file is fine or absent.
 */
async function checkRotationCanReplace(file: string): Promise<CheckResult | null> {
  try {
    await checkReplaceable(file);
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (!isKeyrotError(error)) return failure(`${file} cannot be checked`, error);
    // A hard link is only a warning: --allow-hardlink rotates it anyway.
    return {
      level: error.code === 'FILE_HARD_LINKED' ? 'warn' : 'fail',
      text: error.message,
      fix: error.hint,
    };
  }
}

/** A watched profile must hold a long-term key keyrot can rotate. */
function checkProfile(profile: string, reading: SharedFilesReading): CheckResult {
  const values = mergedProfileValues(reading, profile);
  if (!values) {
    return {
      level: 'fail',
      text: `profile ${profile} is not in the AWS files`,
      fix: `add it with \`aws configure --profile ${profile}\`, or stop watching it in keyrot's config.ini`,
    };
  }
  const keyId = values.aws_access_key_id;
  // Its key is in the keychain: the protected-profile checks below say whether it is there.
  if (isProtectedProfile(reading, profile)) return { level: 'ok', text: `profile ${profile} is protected` };
  if (
    values.aws_session_token ||
    values.sso_session ||
    values.sso_start_url ||
    values.role_arn ||
    values.credential_process
  ) {
    return {
      level: 'warn',
      text: `profile ${profile} uses temporary or external credentials; keyrot cannot rotate it`,
      fix: 'watch only profiles with a long-term access key (aws_access_key_id and aws_secret_access_key)',
    };
  }
  if (!keyId || !values.aws_secret_access_key) {
    return {
      level: 'fail',
      text: `profile ${profile} has no complete access key`,
      fix: `set aws_access_key_id and aws_secret_access_key for [${profile}] (\`aws configure --profile ${profile}\`)`,
    };
  }
  return { level: 'ok', text: `profile ${profile} holds key ${maskKeyId(keyId)}` };
}

function checkNotifications(settings: Settings | undefined, env: NodeJS.ProcessEnv): CheckResult {
  if (settings && !settings.notify) return { level: 'ok', text: 'notifications off (notify = false)' };
  const which = spawnSync('sh', ['-c', 'command -v notify-send'], { env, encoding: 'utf8' });
  if (which.status !== 0) {
    return {
      level: 'warn',
      text: 'notify-send not found: keyrot cannot show desktop notifications',
      fix: 'install libnotify-bin (Debian/Ubuntu) or libnotify (Fedora/Arch)',
    };
  }
  const owner = spawnSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      'string:org.freedesktop.Notifications',
    ],
    { env, encoding: 'utf8', timeout: 5000 },
  );
  if (owner.status === 0 && owner.stdout.includes('boolean true')) {
    return { level: 'ok', text: 'a notification daemon is running on the session bus' };
  }
  return {
    level: 'warn',
    text:
      owner.status === 0
        ? 'no notification daemon answers on the session bus'
        : 'cannot reach a D-Bus session bus to look for a notification daemon',
    fix: 'run keyrot from a desktop session with a notification daemon (GNOME, KDE, dunst, mako…)',
  };
}

async function checkService(ctx: CommandContext, deps: DoctorDeps, stateDir: string): Promise<CheckResult[]> {
  const platform = process.platform;
  if (platform !== 'linux' && platform !== 'darwin' && platform !== 'win32') {
    return [
      {
        level: 'warn',
        text: `no service support on ${platform}`,
        fix: 'start `keyrot daemon` at login yourself',
      },
    ];
  }
  const { env } = ctx.io;
  try {
    const entryPath = keyrotEntryPath();
    const spec = serviceSpec({
      platform,
      env,
      globals: ctx.globals,
      nodePath: process.execPath,
      entryPath,
      cwd: process.cwd(),
      withTray: false,
      uid: process.getuid?.() ?? 0,
      userName: env.USERNAME || env.USER || userInfo().username,
    });
    const [daemon] = await unitStatuses(planService(spec, loadTemplates()), {
      run: deps.run ?? execRunner(env, 10_000),
      isRunning: runningInstances(stateDir),
    });
    if (!daemon?.installed) {
      return [
        {
          level: 'warn',
          text: 'the background service is not installed',
          fix: 'run `keyrot service install`',
        },
      ];
    }
    // Whether the unit can still start: its node and its keyrot.
    const { findings } = await checkInstalledUnit(platform, daemon, {
      readFile,
      realpath: (file) => realpath(file).catch(() => undefined),
      run: execRunner(env, 10_000),
      entryPath,
      minMajor: MIN_NODE_MAJOR,
    });
    const state = await readStateFile(stateDir).catch(() => null);
    const last = state?.lastCheck ? `, last check ${state.lastCheck}` : ', no check recorded yet';
    if (!daemon.enabled || !daemon.running) {
      return [
        {
          level: 'fail',
          text: `the background service ${daemon.name} is installed but ${daemon.enabled ? '' : 'not enabled and '}not running (${daemon.detail})${last}`,
          fix: 'run `keyrot service install` again; see keyrot.log in the state directory for why it stopped',
        },
        ...findings,
      ];
    }
    return [
      { level: 'ok', text: `the background service ${daemon.name} is enabled and running${last}` },
      ...findings,
    ];
  } catch (error) {
    return [failure('cannot ask the service manager', error, 'warn')];
  }
}

function failure(what: string, error: unknown, level: CheckLevel = 'fail'): CheckResult {
  const described = describeError(error);
  return {
    level,
    text: `${what}: ${messageWithPlace(described)}`,
    ...(described.hint ? { fix: described.hint } : {}),
  };
}
