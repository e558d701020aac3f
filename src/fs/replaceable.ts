// Whether keyrot's atomic writer (temp file beside the target, rename over it) can replace a file, proved
// before a rotation creates a key: a failure found only after CreateAccessKey leaves the user with two
// active keys. Each refusal says why and how to fix it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { errnoCode, type FsPort, realFs } from './fs-port.js';

/** Options of checkReplaceable. */
export interface ReplaceableOptions {
  /** Accept a file with several hard links (the rename splits them; the other names keep the old bytes). */
  allowHardlink?: boolean;
  /** Also create a scratch file in the directory and rename it over another (proves rename works there). */
  probe?: boolean;
  /** File system (default: the real one). */
  fs?: FsPort;
  /** This process's user id (default process.getuid; undefined on Windows, where ownership is not checked). */
  uid?: number;
  /** The mount points of this system (default: /proc/self/mountinfo on Linux, none elsewhere). */
  mountPoints?: () => Promise<Set<string>>;
}

/**
 * Refuses (KeyrotError, exit 3) a file that keyrot cannot replace by an atomic rename, or should not:
 * a mount point of its own (a bind-mounted file: rename fails with EBUSY), a directory where a file
 * cannot be created and renamed (read-only, not writable), several hard links (unless allowed), or
 * a file — or a symlink's target — owned by another user. `path` may be a symlink.
 */
export async function checkReplaceable(path: string, options: ReplaceableOptions = {}): Promise<void> {
  const fs = options.fs ?? realFs;
  const real = await fs.realpath(path);
  const dir = dirname(real);
  const [stat, dirStat] = await Promise.all([fs.stat(real), fs.stat(dir)]);
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new KeyrotError(
      'FILE_NOT_OWNED',
      `${real}${real === path ? '' : ` (the target of ${path})`} belongs to user id ${stat.uid}, not to you (user id ${uid}): keyrot does not rewrite another user's file. Nothing was changed.`,
      {
        file: real,
        hint: 'Run keyrot as the user who owns the file, or make the file yours (chown) if it should be.',
      },
    );
  }
  if (stat.dev !== dirStat.dev || (await (options.mountPoints ?? linuxMountPoints)()).has(real)) {
    throw new KeyrotError(
      'FILE_NOT_REPLACEABLE',
      `${real} is a mount point of its own (a bind-mounted file, as \`docker run -v ~/.aws/credentials:…\` makes): a rename cannot replace it, so keyrot cannot rewrite it atomically. Nothing was changed.`,
      {
        file: real,
        hint: 'Mount the directory, not the file (for example `-v ~/.aws:/root/.aws`), or rotate where the file is not mounted.',
      },
    );
  }
  if (stat.nlink > 1 && !options.allowHardlink) {
    throw new KeyrotError(
      'FILE_HARD_LINKED',
      `${real} has ${stat.nlink} hard links: replacing it would split them, and the other names would keep the old key and secret. Nothing was changed.`,
      {
        file: real,
        hint: `Edit the file through one name only: remove the extra link (\`find / -xdev -samefile ${real}\` lists them) and use a symbolic link where a second name is needed; or pass --allow-hardlink to rotate anyway, leaving the other names on the old key.`,
      },
    );
  }
  if (options.probe) await probeRename(fs, dir, basename(real));
}

/** Creates a scratch file in `dir` and renames it over another scratch name: what the atomic writer does. */
async function probeRename(fs: FsPort, dir: string, name: string): Promise<void> {
  const stem = join(dir, `.${name}.keyrot-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const created: string[] = [];
  try {
    for (const scratch of [`${stem}.tmp`, `${stem}.old`]) {
      const handle = await fs.open(scratch, 'wx', 0o600);
      created.push(scratch);
      await handle.close();
    }
    await fs.rename(`${stem}.tmp`, `${stem}.old`);
    created.shift();
  } catch (error) {
    const code = errnoCode(error);
    const why =
      code === 'EROFS'
        ? 'the directory is on a read-only file system or mount'
        : code === 'EACCES' || code === 'EPERM'
          ? 'you may not create or rename files in it (its permissions or an immutable flag)'
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? 'the disk is full'
            : `error ${code ?? 'unknown'}`;
    throw new KeyrotError(
      'FILE_NOT_REPLACEABLE',
      `keyrot cannot replace files in ${dir}: ${why}. It writes a new file beside the old one and renames it over, so the rotation would fail after creating the key. Nothing was changed.`,
      {
        file: dir,
        cause: error,
        hint:
          code === 'EROFS'
            ? 'Make the directory writable (remount it read-write, or mount the directory rather than a read-only copy), then run again.'
            : `Make ${dir} writable for your user, then run again.`,
      },
    );
  } finally {
    for (const scratch of created) await fs.unlink(scratch).catch(() => undefined);
  }
}

/** The mount points listed in /proc/self/mountinfo (Linux); an empty set where there is none. */
export async function linuxMountPoints(): Promise<Set<string>> {
  try {
    return parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return new Set();
  }
}

/** The mount points (fifth field) of mountinfo text, with its octal escapes (`\040` for a space …) undone. */
export function parseMountPoints(text: string): Set<string> {
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field)
      points.add(
        field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
      );
  }
  return points;
}
