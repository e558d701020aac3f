// A throwaway user for daemon tests with real parts: a temp HOME with ~/.aws files holding a key seeded
// in an in-process emulator, keyrot's config.ini watching profile `dev`, its own keychain service
// name on the test session's Secret Service, and the environment `keyrot` needs to find all of it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningEmulator, type SeededUser, seedUser, startEmulator } from '../../src/emulator/index.js';

/** Whether the test session gives us a Secret Service, a notification daemon and dbus-monitor. */
export const desktopSession = {
  available:
    process.env.KEYROT_TEST_SECRET_SERVICE === '1' &&
    process.env.KEYROT_TEST_NOTIFICATIONS === '1' &&
    spawnSync('sh', ['-c', 'command -v dbus-monitor'], { stdio: 'ignore' }).status === 0,
  reason:
    'needs the private desktop session of scripts/test-session.sh (gnome-keyring, Xvfb + dunst, dbus-monitor)',
};

/** A temp home with a seeded user whose key sits in profile `dev`. */
export interface DaemonHome {
  root: string;
  env: NodeJS.ProcessEnv;
  emulator: RunningEmulator;
  user: SeededUser;
  credentialsFile: string;
  stateDir: string;
  logFile: string;
  /** Every secret this test has seen so far (seeded ones; add new ones as they appear). */
  secrets: Set<string>;
  /** The key id and secret the credentials file holds for profile `dev` now. */
  currentKey(): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  close(): Promise<void>;
}

/** Sets up a home whose `dev` key is `keyAgeDays` old (config.ini: `configIni` appended). */
export async function makeDaemonHome(options: {
  keyAgeDays: number;
  configIni?: string;
  user?: string;
  secondKey?: 'none' | 'active' | 'inactive';
  /** The user gets a virtual MFA device and the "manage own keys only with MFA" policy. */
  mfa?: boolean;
}): Promise<DaemonHome> {
  const root = await mkdtemp(path.join(tmpdir(), 'keyrot-daemon-'));
  const emulator = await startEmulator();
  const user = await seedUser(emulator, {
    user: options.user ?? 'alice',
    keyAgeDays: options.keyAgeDays,
    secondKey: options.secondKey ?? 'none',
    mfa: options.mfa ?? false,
  });
  const key = user.keys[0]!;
  const credentialsFile = path.join(root, '.aws', 'credentials');
  await mkdir(path.dirname(credentialsFile), { recursive: true, mode: 0o700 });
  await writeFile(
    credentialsFile,
    `# my keys\n[dev]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const mfaSerial = user.mfa ? `mfa_serial = ${user.mfa.serial}\n` : '';
  await writeFile(path.join(root, '.aws', 'config'), `[profile dev]\nregion = us-east-1\n${mfaSerial}`, {
    mode: 0o600,
  });
  const configDir = path.join(root, '.config', 'keyrot');
  await mkdir(configDir, { recursive: true });
  await writeFile(path.join(configDir, 'config.ini'), `[profile dev]\n${options.configIni ?? ''}`);
  const stateDir = path.join(root, '.local', 'state', 'keyrot');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    USER: 'keyrot-test',
    XDG_CONFIG_HOME: path.join(root, '.config'),
    XDG_STATE_HOME: path.join(root, '.local', 'state'),
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    DISPLAY: process.env.DISPLAY,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_CONFIG_FILE: path.join(root, '.aws', 'config'),
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    KEYROT_KEYCHAIN_SERVICE: `keyrot-test-${randomUUID()}`,
    KEYROT_PROPAGATION_TIMEOUT_MS: '10000',
    KEYROT_AWS_MAX_ATTEMPTS: '1',
  };
  const secrets = new Set(user.keys.map((k) => k.secretAccessKey));
  const home: DaemonHome = {
    root,
    env,
    emulator,
    user,
    credentialsFile,
    stateDir,
    logFile: path.join(stateDir, 'keyrot.log'),
    secrets,
    async currentKey() {
      const text = await readFile(credentialsFile, 'utf8');
      const accessKeyId = /aws_access_key_id = (\S+)/.exec(text)?.[1] ?? '';
      const secretAccessKey = /aws_secret_access_key = (\S+)/.exec(text)?.[1] ?? '';
      secrets.add(secretAccessKey);
      return { accessKeyId, secretAccessKey };
    },
    async close() {
      await emulator.close();
      // Remove this test's items from the session keyring (the session itself is thrown away too).
      spawnSync('secret-tool', ['clear', 'service', env.KEYROT_KEYCHAIN_SERVICE!], { stdio: 'ignore' });
      await rm(root, { recursive: true, force: true });
    },
  };
  return home;
}

/** dbus-monitor on the session bus, watching Notify calls. */
export interface NotifyMonitor {
  /** Everything captured so far. */
  text(): string;
  /** Resolves once the capture contains `needle` (rejects after `timeoutMs`). */
  waitFor(needle: string, timeoutMs?: number): Promise<void>;
  stop(): void;
}

/** Starts dbus-monitor and resolves once it is listening. */
export async function monitorNotifications(): Promise<NotifyMonitor> {
  const child: ChildProcess = spawn(
    'dbus-monitor',
    ['--session', "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let captured = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    captured += chunk.toString('utf8');
  });
  const monitor: NotifyMonitor = {
    text: () => captured,
    async waitFor(needle, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!captured.includes(needle)) {
        if (Date.now() > deadline)
          throw new Error(`dbus-monitor never saw ${JSON.stringify(needle)}:\n${captured}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => void child.kill('SIGTERM'),
  };
  // dbus-monitor announces itself (NameAcquired) once its match rule is in place. Until then a
  // notification would be missed, so wait as long as a loaded machine may need.
  await monitor.waitFor('NameAcquired', 60_000).catch(() => undefined);
  return monitor;
}

/** Every secret in `secrets` that occurs in `text`. */
export function leakedSecrets(text: string, secrets: Iterable<string>): string[] {
  return [...secrets].filter((secret) => secret && text.includes(secret));
}
