// systray2 draws the icon with a prebuilt helper program from its package. npm installs it without the
// execute bit and systray2's own chmod fails on Node 20, so keyrot keeps a private, executable copy in
// its cache directory (0700) and points systray2 at it (its `copyDir` option). A copy also works when
// node_modules is read-only, and stops systray2 from preferring a `./traybin/` in the working directory.
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { homeDir } from '../config/paths.js';
import { isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { FsPort } from '../fs/fs-port.js';
import { privateDirProblem } from '../fs/private-dir.js';
import { cannotRunReason, macCpu, type RunProgram, runProgram } from '../platform/mac-cpu.js';
import { MACH_O_HEADER_BYTES, machOArchitectures } from '../platform/mach-o.js';

/** The helper's file name in systray2's `traybin/` folder, per platform. */
export const HELPER_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'tray_linux_release',
  darwin: 'tray_darwin_release',
  win32: 'tray_windows_release.exe',
};

/** Where the helper came from and where keyrot's runnable copy is. */
export interface TrayHelper {
  /** The `copyDir` to give systray2: it runs `<copyDir>/<version>/<name>`. */
  copyDir: string;
  /** The runnable copy. */
  path: string;
  /** systray2's version. */
  version: string;
}

/** The file system used here (node:fs/promises by default; injectable to simulate failures). */
export type HelperFs = FsPort & Pick<typeof nodeFs, 'readdir' | 'rm'>;

/** keyrot's cache directory: XDG_CACHE_HOME/keyrot, ~/Library/Caches/keyrot, %LOCALAPPDATA%\keyrot. */
export function keyrotCacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const home = homeDir(env);
  if (platform === 'win32') {
    return path.win32.join(env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'), 'keyrot');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Caches', 'keyrot');
  return path.posix.join(env.XDG_CACHE_HOME || path.posix.join(home, '.cache'), 'keyrot');
}

/** systray2's package folder and version. */
export function locateSystray2(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('systray2/package.json');
  const { version } = require(manifest) as { version: string };
  return { dir: path.dirname(manifest), version };
}

/**
 * Why systray2's helper cannot run on this machine, or null when it can (or where that cannot be told
 * from its file: only macOS mixes CPUs, and systray2's macOS helper is x86_64 only, which Apple silicon
 * runs only through Rosetta 2).
 */
export async function trayHelperCannotRun(
  options: { platform?: NodeJS.Platform; package?: { dir: string; version: string }; run?: RunProgram } = {},
): Promise<string | null> {
  const platform = options.platform ?? process.platform;
  if (platform !== 'darwin') return null;
  const pkg = options.package ?? locateSystray2();
  const head = await nodeFs.readFile(path.join(pkg.dir, 'traybin', HELPER_NAMES.darwin as string)).then(
    (bytes) => bytes.subarray(0, MACH_O_HEADER_BYTES),
    () => null,
  );
  // A missing helper is prepareTrayHelper's to report.
  const architectures = head && machOArchitectures(head);
  if (!architectures) return null;
  return cannotRunReason(architectures, await macCpu(options.run ?? runProgram));
}

/**
 * Makes sure keyrot's private copy of the helper exists, is identical to the packaged one and is
 * executable by the owner only; returns what to hand to systray2.
 */
export async function prepareTrayHelper(options: {
  cacheDir: string;
  platform?: NodeJS.Platform;
  package?: { dir: string; version: string };
  fs?: HelperFs;
  /** This process's user id (default process.getuid); tests inject another to check ownership. */
  uid?: number;
}): Promise<TrayHelper> {
  const fs = options.fs ?? nodeFs;
  const platform = options.platform ?? process.platform;
  const name = HELPER_NAMES[platform];
  if (!name) {
    throw new KeyrotError(
      'TRAY_UNAVAILABLE',
      `no tray icon on ${platform}: systray2 supports Linux, macOS and Windows`,
      {
        hint: "the daemon's desktop notifications still work",
      },
    );
  }
  const pkg = options.package ?? locateSystray2();
  const source = path.join(pkg.dir, 'traybin', name);
  const copyDir = path.join(options.cacheDir, 'tray-helper');
  const versionDir = path.join(copyDir, pkg.version);
  const target = path.join(versionDir, name);

  let packaged: Buffer;
  try {
    packaged = await fs.readFile(source);
  } catch (error) {
    throw new KeyrotError('TRAY_UNAVAILABLE', `the tray helper is missing from the systray2 package`, {
      file: source,
      cause: error,
      hint: "reinstall keyrot; the daemon's desktop notifications still work",
    });
  }
  try {
    for (const dir of [options.cacheDir, copyDir, versionDir]) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      // The helper is a program keyrot runs: refuse a directory someone else could put theirs in (a
      // planted symlink, another user's directory, one that others may write).
      const problem = await privateDirProblem(dir, 'uid' in options ? { fs, uid: options.uid } : { fs });
      if (problem) {
        throw new KeyrotError(
          'TRAY_UNAVAILABLE',
          `keyrot does not run the tray helper from ${dir}: ${problem.reason}`,
          {
            file: dir,
            hint: `${problem.fix}; the daemon's desktop notifications still work`,
          },
        );
      }
    }
    await fs.chmod(copyDir, 0o700);
    await fs.chmod(versionDir, 0o700);
    if (!(await sameContent(fs, target, packaged))) {
      // A link in place of the helper is replaced, never written through.
      if ((await fs.lstat(target).catch(() => null))?.isSymbolicLink()) await fs.unlink(target);
      // Written beside, then renamed: a half-copied helper is never run.
      await writeFileAtomic(target, packaged, { fs, create: true, mode: 0o700 });
    }
    await fs.chmod(target, 0o700);
    await removeOtherVersions(fs, copyDir, pkg.version);
  } catch (error) {
    if (isKeyrotError(error, 'TRAY_UNAVAILABLE')) throw error;
    throw new KeyrotError('TRAY_UNAVAILABLE', `cannot prepare the tray helper in keyrot's cache directory`, {
      file: target,
      cause: error,
      hint: `check that ${options.cacheDir} is writable; the daemon's desktop notifications still work`,
    });
  }
  return { copyDir, path: target, version: pkg.version };
}

async function sameContent(fs: HelperFs, file: string, expected: Buffer): Promise<boolean> {
  try {
    const info = await fs.lstat(file);
    if (!info.isFile() || info.size !== expected.length) return false;
    const actual = await fs.readFile(file);
    return digest(actual) === digest(expected);
  } catch {
    return false;
  }
}

// Copies of older systray2 versions are dead weight (a few MB each).
async function removeOtherVersions(fs: HelperFs, copyDir: string, keep: string): Promise<void> {
  const entries = await fs.readdir(copyDir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry !== keep)
      await fs.rm(path.join(copyDir, entry), { recursive: true, force: true }).catch(() => {});
  }
}

function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
