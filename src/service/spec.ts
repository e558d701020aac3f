// What a service needs to know about this machine, gathered once so rendering can stay pure.
import path from 'node:path';
import { homeDir, keyrotPaths } from '../config/paths.js';

/** An OS keyrot can install a service for. */
export type ServicePlatform = 'linux' | 'darwin' | 'win32';

/** Everything the renderers need; built by serviceSpec from the environment, or by hand in tests. */
export interface ServiceSpec {
  platform: ServicePlatform;
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Absolute path of the entry point the service runs (dist/cli.js). */
  entryPath: string;
  home: string;
  /** launchd's stdout/stderr files go here. */
  logDir: string;
  /** keyrot's state directory (the Windows task XML is kept there). */
  stateDir: string;
  /** Where the unit / agent files go: ~/.config/systemd/user, ~/Library/LaunchAgents, or the state dir. */
  serviceDir: string;
  /** Environment the daemon needs, in order (never a credential). */
  environment: [string, string][];
  /** Global options placed before the subcommand (Windows only, which has no per-task environment). */
  globalArgs: string[];
  /** Variables the service cannot carry (Windows: those without a flag); the person must set them for the user. */
  notCarried: string[];
  /** Also run `keyrot tray` at login. */
  withTray: boolean;
  /** The user id (launchd's gui/UID domain). */
  uid: number;
  /** The Windows account the task runs as (DOMAIN\user). */
  userId: string;
  /** Windows: conhost.exe, which starts node with a console that has no window (`--headless`). */
  consoleHost: string;
  /** Windows: the command that registers keyrot's application id for its notifications, if any. */
  appIdRegistration?: { command: string; args: string[] };
}

/** Global CLI options that become service environment (README.md, Commands). */
export interface ServiceGlobals {
  credentialsFile?: string;
  awsConfigFile?: string;
  config?: string;
  endpointUrl?: string;
  region?: string;
}

// Variables copied from the installing shell when set: file locations, endpoints, proxies, keyrot's own.
// Credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) are never copied.
const PASSED_THROUGH = [
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_STS',
  'AWS_CA_BUNDLE',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
  'KEYROT_CONFIG',
  'KEYROT_STATE_DIR',
  'KEYROT_KEYCHAIN_SERVICE',
  // Where keyrot's settings, state and caches are on Linux and macOS: the service manager does not read
  // the person's shell profile, so without them the service would use other files than the CLI.
  'XDG_CONFIG_HOME',
  'XDG_STATE_HOME',
  'XDG_CACHE_HOME',
] as const;

/** Variables keyrot reads on Linux and macOS only (Windows uses %APPDATA% and %LOCALAPPDATA%). */
const POSIX_ONLY = new Set(['XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME']);

const FILE_VARIABLES = new Set([
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_CA_BUNDLE',
  'KEYROT_CONFIG',
  'KEYROT_STATE_DIR',
  'XDG_CONFIG_HOME',
  'XDG_STATE_HOME',
  'XDG_CACHE_HOME',
]);

/** The variable that tells keyrot which service manager runs it (its stderr then carries warnings only). */
export const SERVICE_MANAGER_VARIABLE = 'KEYROT_SERVICE';

/**
 * Node's options for the daemon the service runs. --jitless (Node's CLI docs: no executable memory
 * allocated at run time): the daemon parent idles for hours and, between checks, only sets a timer and
 * writes a small state file, so V8's compilers would never pay back the memory they take (its peak RSS
 * 53.9 -> 51.3 MB on Node 24, scripts/bench/daemon.bench.mjs), and code pages nobody can write are a
 * smaller attack surface. Its check worker, which does the real work, runs without it (commands/daemon.ts).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--jitless'];

/** The value of KEYROT_SERVICE in each platform's service. */
export const SERVICE_MANAGERS = { linux: 'systemd', darwin: 'launchd', win32: 'task-scheduler' } as const;

/** Inputs of serviceSpec. */
export interface ServiceSpecInput {
  platform: ServicePlatform;
  env: NodeJS.ProcessEnv;
  globals: ServiceGlobals;
  nodePath: string;
  entryPath: string;
  /** Relative paths in the environment are resolved against this directory. */
  cwd: string;
  withTray: boolean;
  uid: number;
  userName: string;
  /** Windows: the command that registers keyrot's application id (src/notify/windows-app-id.ts). */
  appIdRegistration?: { command: string; args: string[] };
}

/** Builds the spec for `platform` from the installing shell's environment and global options. Pure. */
export function serviceSpec(input: ServiceSpecInput): ServiceSpec {
  const { platform, env, globals } = input;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const home = homeDir(env);
  const paths = keyrotPaths(env, platform);

  const values = new Map<string, string>();
  for (const name of PASSED_THROUGH) {
    if (platform === 'win32' && POSIX_ONLY.has(name)) continue;
    const value = env[name];
    if (value) values.set(name, FILE_VARIABLES.has(name) ? p.resolve(input.cwd, value) : value);
  }
  // Explicit options win over the environment they override.
  const fromOptions: [string, string | undefined, boolean][] = [
    ['AWS_SHARED_CREDENTIALS_FILE', globals.credentialsFile, true],
    ['AWS_CONFIG_FILE', globals.awsConfigFile, true],
    ['KEYROT_CONFIG', globals.config, true],
    ['AWS_ENDPOINT_URL', globals.endpointUrl, false],
    ['AWS_REGION', globals.region, false],
  ];
  for (const [name, value, isFile] of fromOptions) {
    if (value) values.set(name, isFile ? p.resolve(input.cwd, value) : value);
  }

  // The service manager's PATH is minimal: keep the shell's, with node's own directory first
  // (after_rotate hooks and notify-send are found through it).
  const nodeDir = p.dirname(input.nodePath);
  const shellPath = (env.PATH ?? '').split(p.delimiter).filter(Boolean);
  const environment: [string, string][] = [
    ['PATH', [...new Set([nodeDir, ...shellPath])].join(p.delimiter)],
    ...values,
    // Node 20 + AWS SDK prints a support warning on every client; it would fill the service log.
    ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true'],
    [SERVICE_MANAGER_VARIABLE, SERVICE_MANAGERS[platform]],
  ];

  // Windows tasks have no environment of their own: pass what has a flag as flags.
  const flags: [string, string][] = [
    ['--credentials-file', 'AWS_SHARED_CREDENTIALS_FILE'],
    ['--aws-config-file', 'AWS_CONFIG_FILE'],
    ['--config', 'KEYROT_CONFIG'],
    ['--endpoint-url', 'AWS_ENDPOINT_URL'],
    ['--region', 'AWS_REGION'],
  ];
  const globalArgs =
    platform === 'win32'
      ? flags.flatMap(([flag, name]) => (values.has(name) ? [flag, values.get(name) as string] : []))
      : [];
  const flagged = new Set(flags.map(([, name]) => name));
  const notCarried = platform === 'win32' ? [...values.keys()].filter((name) => !flagged.has(name)) : [];

  const serviceDir =
    platform === 'linux'
      ? p.join(env.XDG_CONFIG_HOME || p.join(home, '.config'), 'systemd', 'user')
      : platform === 'darwin'
        ? p.join(home, 'Library', 'LaunchAgents')
        : paths.stateDir;

  return {
    platform,
    nodePath: input.nodePath,
    entryPath: input.entryPath,
    home,
    logDir: paths.logDir,
    stateDir: paths.stateDir,
    serviceDir,
    environment,
    globalArgs,
    notCarried,
    withTray: input.withTray,
    uid: input.uid,
    userId: platform === 'win32' && env.USERDOMAIN ? `${env.USERDOMAIN}\\${input.userName}` : input.userName,
    consoleHost: path.win32.join(env.SystemRoot || env.windir || 'C:\\Windows', 'System32', 'conhost.exe'),
    ...(platform === 'win32' && input.appIdRegistration
      ? { appIdRegistration: input.appIdRegistration }
      : {}),
  };
}
