// The real parts suites run against (Secret Service, dunst, the AWS CLI, systemd…): whether each is here,
// and the one rule for when it is not: skip with the reason printed, except under CI, where it fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';
import { CLI_PATH } from './run-cli.js';

/** A real part: how to tell it is here, and what to install or run when it is not. */
interface RealPart {
  name: string;
  available: () => boolean;
  missing: string;
}

const session = 'scripts/test-session.sh';

/** Whether `command` is on PATH. */
function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Every real part a suite may need. */
const PARTS = {
  secretService: {
    name: 'Secret Service',
    // Only the private session's gnome-keyring: tests never write into the developer's own keyring.
    available: () => process.env.KEYROT_TEST_SECRET_SERVICE === '1' && has('secret-tool'),
    missing: `run through ${session} with gnome-keyring, dbus and libsecret-tools installed`,
  },
  notifications: {
    name: 'notification daemon',
    available: () => process.env.KEYROT_TEST_NOTIFICATIONS === '1',
    missing: `run through ${session} with Xvfb, dunst (or xfce4-notifyd) and libnotify-bin installed`,
  },
  dbusMonitor: {
    name: 'dbus-monitor',
    available: () => has('dbus-monitor'),
    missing: 'install dbus (dbus-monitor)',
  },
  dbusTools: {
    name: 'D-Bus session tools',
    available: () => has('dbus-run-session') && has('dbus-daemon') && has('gnome-keyring-daemon'),
    missing: 'install dbus and gnome-keyring',
  },
  awsCli: {
    name: 'AWS CLI v2',
    available: () => existsSync('/usr/bin/aws'),
    missing: '/usr/bin/aws not found (Debian package awscli)',
  },
  systemdUser: {
    name: 'systemd --user',
    available: () =>
      process.getuid?.() === 0 &&
      existsSync('/lib/systemd/systemd') &&
      has('systemctl') &&
      has('systemd-run') &&
      spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0,
    missing:
      'needs a private mount namespace (root: `unshare -m`), /lib/systemd/systemd, systemctl and systemd-run (scripts/systemd-session.sh)',
  },
  mountNamespace: {
    name: 'private mount namespace',
    // Root (or unprivileged user namespaces) may make one and mount in it.
    available: () =>
      spawnSync('unshare', ['-m', '--propagation', 'private', 'mount', '-t', 'tmpfs', 'none', '/mnt'], {
        stdio: 'ignore',
      }).status === 0,
    missing: 'run as root (unshare -m and mount permitted)',
  },
  systemdAnalyze: {
    name: 'systemd-analyze',
    available: () => has('systemd-analyze'),
    missing: 'install systemd (systemd-analyze)',
  },
  python3: {
    name: 'python3',
    available: () =>
      spawnSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 8)'], { stdio: 'ignore' })
        .status === 0,
    missing: 'install python3, 3.8 or later (plistlib, xml.dom.minidom, ntpath)',
  },
  fileCommand: {
    name: 'file(1)',
    available: () => spawnSync('file', ['--version'], { stdio: 'ignore' }).status === 0,
    missing: 'install file (libmagic), an independent reader of Mach-O headers',
  },
  xmllint: {
    name: 'xmllint',
    available: () => has('xmllint'),
    missing: 'install libxml2-utils (xmllint)',
  },
  trayHost: {
    name: 'tray host',
    available: () =>
      process.platform === 'linux' &&
      ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].some((dir) =>
        existsSync(path.join(dir, 'libayatana-appindicator3.so.1')),
      ) &&
      has('busctl'),
    missing: 'install libayatana-appindicator3-1 and systemd (busctl)',
  },
  pty: {
    name: 'pseudo-terminal (util-linux script)',
    available: () => spawnSync('script', ['-qfec', 'true', '/dev/null'], { stdio: 'ignore' }).status === 0,
    missing: 'install util-linux (script)',
  },
  npm: {
    name: 'npm',
    available: () => has('npm'),
    missing: 'needs npm on PATH',
  },
  gitCheckout: {
    name: 'git checkout',
    available: () =>
      spawnSync('git', ['rev-parse', '--git-dir'], {
        cwd: path.dirname(path.dirname(CLI_PATH)),
        stdio: 'ignore',
      }).status === 0,
    missing: 'run from a git checkout of keyrot (git on PATH)',
  },
  builtCli: {
    name: 'built CLI',
    available: () => existsSync(CLI_PATH),
    missing: `${CLI_PATH} not found: run \`npm run build\` (npm test does)`,
  },
} satisfies Record<string, RealPart>;

/** The name of a real part. */
export type RealPartName = keyof typeof PARTS;

const known = new Map<RealPartName, boolean>();

/** Whether every one of `parts` is here (each is probed once per test file). */
export function realPartsAvailable(...parts: RealPartName[]): boolean {
  return parts.every((part) => {
    if (!known.has(part)) known.set(part, PARTS[part].available());
    return known.get(part);
  });
}

/**
 * `describe` for a suite that needs all of `parts`. When one is missing: `describe.skip` after printing
 * which and why; under CI (`CI=true`) it throws instead, since a real-part suite must never pass there
 * by skipping.
 */
export function describeWith(...parts: RealPartName[]): typeof describe {
  const missing = parts.filter((part) => !realPartsAvailable(part)).map((part) => PARTS[part]);
  if (missing.length === 0) return describe;
  return skipOrFail(
    missing.map((part) => part.name).join(' + '),
    missing.map((part) => part.missing).join('; '),
  );
}

function skipOrFail(name: string, reason: string): typeof describe {
  const message = `real part "${name}" unavailable: ${reason}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: real-part suites may not skip)`);
  process.stderr.write(`[skip] ${message}\n`);
  return describe.skip as unknown as typeof describe;
}
