// The pre-flight check that keyrot's atomic rename can replace a file, on the real file system; faults the
// machine cannot produce unprivileged (a read-only directory for root) are injected through the fs port.
import { chown, link, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';
import { realFs } from '../../src/fs/fs-port.js';
import { checkReplaceable, linuxMountPoints, parseMountPoints } from '../../src/fs/replaceable.js';
import { tempDir } from '../support/cleanup.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await tempDir('replaceable');
});

async function file(): Promise<string> {
  const sub = join(dir, `d${++n}`);
  await mkdir(sub);
  const path = join(sub, 'credentials');
  await writeFile(path, '[p]\n', { mode: 0o600 });
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<KeyrotError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isKeyrotError(error)) throw new Error(`expected a KeyrotError, got ${String(error)}`);
  return error;
}

const noMounts = async () => new Set<string>();

describe('checkReplaceable', () => {
  it('accepts a plain file, and the probe leaves nothing behind in its directory', async () => {
    const path = await file();
    await checkReplaceable(path, { probe: true, mountPoints: noMounts });
    expect(await readdir(join(path, '..'))).toEqual(['credentials']);
  });

  it('refuses a hard-linked file naming the fix, unless allowed', async () => {
    const path = await file();
    await link(path, join(dir, `other-name-${n}`));
    const error = await refusal(checkReplaceable(path, { mountPoints: noMounts }));
    expect(error.code).toBe('FILE_HARD_LINKED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('has 2 hard links');
    expect(error.hint).toMatch(/remove the extra link.*--allow-hardlink/s);
    await checkReplaceable(path, { allowHardlink: true, mountPoints: noMounts });
  });

  it("refuses a file owned by another user, and a symlink to one, naming the symlink's target", async () => {
    const path = await file();
    const error = await refusal(checkReplaceable(path, { uid: 4242, mountPoints: noMounts }));
    expect([error.code, error.exitCode]).toEqual(['FILE_NOT_OWNED', 3]);
    if (process.getuid?.() !== 0) return;
    // As root, make the target really someone else's and reach it through a symlink.
    const target = await file();
    await chown(target, 4242, 4242);
    const viaLink = join(dir, `link-${n}`);
    await symlink(target, viaLink);
    const linked = await refusal(checkReplaceable(viaLink, { mountPoints: noMounts }));
    expect(linked.code).toBe('FILE_NOT_OWNED');
    expect(linked.message).toContain(`${target} (the target of ${viaLink}) belongs to user id 4242`);
  });

  it('refuses a mount point of its own (a bind-mounted file), saying to mount the directory', async () => {
    const path = await file();
    const error = await refusal(checkReplaceable(path, { mountPoints: async () => new Set([path]) }));
    expect([error.code, error.exitCode]).toEqual(['FILE_NOT_REPLACEABLE', 3]);
    expect(error.hint).toContain('Mount the directory, not the file');
  });

  it('refuses a directory where a file cannot be created or renamed, and removes what the probe made', async () => {
    for (const [op, code, why] of [
      ['open', 'EROFS', /read-only file system/],
      ['rename', 'EACCES', /may not create or rename files/],
    ] as const) {
      const path = await file();
      const fs = {
        ...realFs,
        async open(p: string, flags: string | number, mode?: number) {
          if (op === 'open' && p.includes('keyrot-probe')) throw Object.assign(new Error(code), { code });
          return realFs.open(p, flags, mode);
        },
        async rename(from: string, to: string) {
          if (op === 'rename') throw Object.assign(new Error(code), { code });
          return realFs.rename(from, to);
        },
      };
      const error = await refusal(checkReplaceable(path, { fs, probe: true, mountPoints: noMounts }));
      expect([error.code, error.exitCode], op).toEqual(['FILE_NOT_REPLACEABLE', 3]);
      expect(error.message).toMatch(why);
      expect(await readdir(join(path, '..'))).toEqual(['credentials']);
    }
  });

  it('reads the mount points of this system, undoing the escapes of mountinfo', async () => {
    const line = '66 46 254:0 /tmp/a /home/me/my\\040files/.aws/credentials rw,relatime - ext4 /dev/vda rw';
    expect([...parseMountPoints(line)]).toEqual(['/home/me/my files/.aws/credentials']);
    const points = await linuxMountPoints();
    if (process.platform === 'linux') expect(points.has('/')).toBe(true);
    else expect(points.size).toBe(0);
  });
});
