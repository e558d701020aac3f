// A Secret Service of one test alone: its own dbus-daemon and gnome-keyring (unlocked login keyring) in a
// throwaway HOME, so a test can lock, freeze or restart the keyring without disturbing the suites that
// share the session's keyring (scripts/test-session.sh).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stopAtFileEnd, tempDir } from '../support/cleanup.js';

const PASSWORD = 'keyrot-private-test';

/** A running private bus with a gnome-keyring on it. */
export interface PrivateSecretService {
  /** The environment that points at it (DBUS_SESSION_BUS_ADDRESS, HOME, XDG_RUNTIME_DIR). */
  env: NodeJS.ProcessEnv;
  /** The pid of the gnome-keyring that owns org.freedesktop.secrets now. */
  keyringPid(): number;
  /** Calls a Secret Service method with dbus-send (arguments in dbus-send's notation). */
  send(path: string, method: string, ...args: string[]): string;
  /** Stops gnome-keyring and starts a new one on the same keyring files (unlocked again). */
  restartKeyring(): Promise<void>;
  /** Stops everything and removes the files. */
  stop(): Promise<void>;
}

/** Starts a private dbus-daemon and an unlocked gnome-keyring on it (~1 s). */
export async function startPrivateSecretService(): Promise<PrivateSecretService> {
  const dir = await tempDir('private-ss');
  await mkdir(join(dir, 'home'), { mode: 0o700 });
  await mkdir(join(dir, 'run'), { mode: 0o700 });
  const daemon = stopAtFileEnd(
    spawn(
      'dbus-daemon',
      [
        '--session',
        '--nofork',
        '--nopidfile',
        `--address=unix:path=${join(dir, 'bus')}`,
        '--print-address=1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ),
  );
  const address = await firstLine(daemon);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: address,
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
  };
  const dbusSend = (...args: string[]) =>
    execFileSync('dbus-send', ['--session', '--print-reply', ...args], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const hasOwner = () =>
    /boolean true/.test(
      dbusSend(
        '--dest=org.freedesktop.DBus',
        '/',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.freedesktop.secrets',
      ),
    );
  const keyringPid = () => {
    const out = dbusSend(
      '--dest=org.freedesktop.DBus',
      '/',
      'org.freedesktop.DBus.GetConnectionUnixProcessID',
      'string:org.freedesktop.secrets',
    );
    return Number(/uint32 (\d+)/.exec(out)?.[1]);
  };
  const startKeyring = async () => {
    const unlocked = execFileSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], {
      env,
      input: PASSWORD,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const control = /GNOME_KEYRING_CONTROL=(.*)/.exec(unlocked)?.[1];
    execFileSync('gnome-keyring-daemon', ['--start', '--components=secrets'], {
      env: { ...env, GNOME_KEYRING_CONTROL: control },
      stdio: 'ignore',
    });
    await until(hasOwner, 'gnome-keyring to own org.freedesktop.secrets');
  };
  const stopKeyring = async () => {
    if (!hasOwner()) return;
    const pid = keyringPid();
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGTERM');
    await until(() => !hasOwner(), 'gnome-keyring to leave the bus');
  };
  try {
    await startKeyring();
  } catch (error) {
    daemon.kill();
    throw error;
  }
  return {
    env,
    keyringPid,
    send: (path, method, ...args) => dbusSend('--dest=org.freedesktop.secrets', path, method, ...args),
    async restartKeyring() {
      await stopKeyring();
      await startKeyring();
    },
    async stop() {
      await stopKeyring().catch(() => undefined);
      daemon.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) resolve(text.slice(0, newline).trim());
    });
    child.once('exit', (code) =>
      reject(new Error(`dbus-daemon exited (${code}) before printing its address`)),
    );
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
