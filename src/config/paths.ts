// Where keyrot keeps its own files (README.md, Settings). Pure: every input comes from `env`,
// and Windows paths are built with path.win32 so they render correctly on any OS.
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

/** keyrot's own files: its settings, its state directory (lock, state file) and its log directory. */
export interface KeyrotPaths {
  /** The settings file (config.ini). */
  configFile: string;
  /** The state directory (mode 0700): state file, daemon lock, optional file keychain. */
  stateDir: string;
  /** Where keyrot.log lives. */
  logDir: string;
  /** Disposable files: Node's compile cache of keyrot's bundle, the tray's helper binary. */
  cacheDir: string;
  /**
   * The running daemon's private socket that serves `keyrot credentials` (docs/agent.md); undefined on
   * Windows, where a named pipe's default access is not limited to this user.
   */
  agentSocket?: string;
}

/** The user's home directory as the AWS SDK finds it: HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, then the OS. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  if (env.HOME) return env.HOME;
  if (env.USERPROFILE) return env.USERPROFILE;
  if (env.HOMEPATH) return `${env.HOMEDRIVE ?? 'C:'}${env.HOMEPATH}`;
  return homedir();
}

/**
 * keyrot's paths for `platform`. KEYROT_CONFIG overrides the settings file; KEYROT_STATE_DIR moves the
 * state *and* the logs (so a test or a second install is fully isolated).
 */
export function keyrotPaths(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): KeyrotPaths {
  const p = platform === 'win32' ? win32 : posix;
  const home = homeDir(env);
  let configDir: string;
  let stateDir: string;
  let logDir: string;
  let cacheDir: string;
  if (platform === 'win32') {
    // Settings roam with the profile; state, locks and logs stay on this PC (%LOCALAPPDATA%): a roaming
    // profile would carry a held lock, or this PC's state, to another machine.
    const appData = env.APPDATA || p.join(home, 'AppData', 'Roaming');
    const localAppData = env.LOCALAPPDATA || p.join(home, 'AppData', 'Local');
    configDir = p.join(appData, 'keyrot');
    stateDir = p.join(localAppData, 'keyrot');
    logDir = p.join(stateDir, 'logs');
    cacheDir = p.join(stateDir, 'cache');
  } else {
    configDir = p.join(env.XDG_CONFIG_HOME || p.join(home, '.config'), 'keyrot');
    stateDir = p.join(env.XDG_STATE_HOME || p.join(home, '.local', 'state'), 'keyrot');
    logDir = platform === 'darwin' ? p.join(home, 'Library', 'Logs', 'keyrot') : stateDir;
    cacheDir =
      platform === 'darwin'
        ? p.join(home, 'Library', 'Caches', 'keyrot')
        : p.join(env.XDG_CACHE_HOME || p.join(home, '.cache'), 'keyrot');
  }
  if (env.KEYROT_STATE_DIR) {
    stateDir = p.resolve(env.KEYROT_STATE_DIR);
    logDir = stateDir;
  }
  const configFile = env.KEYROT_CONFIG ? p.resolve(env.KEYROT_CONFIG) : p.join(configDir, 'config.ini');
  // The cache stays where it is under KEYROT_STATE_DIR: it holds nothing but compiled code.
  const paths: KeyrotPaths = { configFile, stateDir, logDir, cacheDir };
  const agentSocket = agentSocketPath(env, platform, () => stateDir);
  if (agentSocket) paths.agentSocket = agentSocket;
  return paths;
}

/**
 * keyrotPaths(env, platform).agentSocket, computing the state directory only when the socket is there
 * (`stateDir`): the bin asks for it on every `keyrot credentials` and needs no other path.
 */
export function agentSocketPath(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  stateDir: () => string = () => keyrotPaths(env, platform).stateDir,
): string | undefined {
  if (platform === 'win32') return undefined;
  // Linux: the session's runtime dir (a tmpfs of this user's, emptied at logout), unless the state is
  // moved (KEYROT_STATE_DIR: a test or a second install has its own socket beside its own lock).
  const runtime = platform === 'linux' && !env.KEYROT_STATE_DIR ? env.XDG_RUNTIME_DIR : undefined;
  return runtime && posix.isAbsolute(runtime)
    ? posix.join(runtime, 'keyrot', 'agent.sock')
    : posix.join(stateDir(), 'agent.sock');
}
