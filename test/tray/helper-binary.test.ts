import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';
import { keyrotCacheDir, locateSystray2, prepareTrayHelper } from '../../src/tray/helper-binary.js';
import { tempDirSync } from '../support/cleanup.js';

async function fakePackage(content = 'helper-v1'): Promise<{ dir: string; version: string; root: string }> {
  const root = tempDirSync('helper');
  const dir = path.join(root, 'systray2');
  await fs.mkdir(path.join(dir, 'traybin'), { recursive: true });
  // As npm installs it: readable, not executable.
  await fs.writeFile(path.join(dir, 'traybin', 'tray_linux_release'), content, { mode: 0o644 });
  return { dir, version: '2.1.4', root };
}

describe('prepareTrayHelper', () => {
  it('keeps an identical, owner-only executable copy in the cache directory', async () => {
    const pkg = await fakePackage();
    const cacheDir = path.join(pkg.root, 'cache', 'keyrot');
    const helper = await prepareTrayHelper({ cacheDir, platform: 'linux', package: pkg });
    expect(helper).toEqual({
      copyDir: path.join(cacheDir, 'tray-helper'),
      path: path.join(cacheDir, 'tray-helper', '2.1.4', 'tray_linux_release'),
      version: '2.1.4',
    });
    expect(await fs.readFile(helper.path, 'utf8')).toBe('helper-v1');
    expect((await fs.stat(helper.path)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(cacheDir, 'tray-helper'))).mode & 0o777).toBe(0o700);
    // The packaged file is left as it was.
    expect((await fs.stat(path.join(pkg.dir, 'traybin', 'tray_linux_release'))).mode & 0o777).toBe(0o644);
  });

  it('replaces a copy that differs from the packaged helper and drops other versions', async () => {
    const pkg = await fakePackage('helper-v2');
    const cacheDir = path.join(pkg.root, 'cache');
    const old = path.join(cacheDir, 'tray-helper', '2.0.6');
    await fs.mkdir(old, { recursive: true });
    await fs.writeFile(path.join(old, 'tray_linux_release'), 'old');
    const current = path.join(cacheDir, 'tray-helper', '2.1.4', 'tray_linux_release');
    await fs.mkdir(path.dirname(current), { recursive: true });
    await fs.writeFile(current, 'tampered', { mode: 0o755 });

    await prepareTrayHelper({ cacheDir, platform: 'linux', package: pkg });
    expect(await fs.readFile(current, 'utf8')).toBe('helper-v2');
    expect((await fs.stat(current)).mode & 0o777).toBe(0o700);
    expect(await fs.readdir(path.join(cacheDir, 'tray-helper'))).toEqual(['2.1.4']);
  });

  it('replaces a link planted in place of the copy, and never writes through it', async () => {
    const pkg = await fakePackage('helper-v3');
    try {
      const cacheDir = path.join(pkg.root, 'cache');
      const elsewhere = path.join(pkg.root, 'elsewhere');
      await fs.writeFile(elsewhere, 'not the helper');
      const current = path.join(cacheDir, 'tray-helper', '2.1.4', 'tray_linux_release');
      await fs.mkdir(path.dirname(current), { recursive: true });
      await fs.symlink(elsewhere, current);

      await prepareTrayHelper({ cacheDir, platform: 'linux', package: pkg });
      expect((await fs.lstat(current)).isFile()).toBe(true);
      expect(await fs.readFile(current, 'utf8')).toBe('helper-v3');
      expect(await fs.readFile(elsewhere, 'utf8')).toBe('not the helper');
    } finally {
      await fs.rm(pkg.root, { recursive: true, force: true });
    }
  });

  it('says TRAY_UNAVAILABLE when the cache cannot be written (fault injected)', async () => {
    const pkg = await fakePackage();
    const readOnly = {
      ...fs,
      open: async () => {
        throw Object.assign(new Error('read-only file system'), { code: 'EROFS' });
      },
    } as unknown as typeof fs;
    const error = await prepareTrayHelper({
      cacheDir: path.join(pkg.root, 'cache'),
      platform: 'linux',
      package: pkg,
      fs: readOnly,
    }).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'TRAY_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain("cannot prepare the tray helper in keyrot's cache directory");
  });

  it("refuses a cache directory that is not the user's own private one: another owner, or writable by others", async () => {
    const pkg = await fakePackage();
    const refusal = async (cacheDir: string, uid?: number) => {
      const error = await prepareTrayHelper({
        cacheDir,
        platform: 'linux',
        package: pkg,
        ...(uid === undefined ? {} : { uid }),
      }).catch((e: unknown) => e);
      expect(isKeyrotError(error, 'TRAY_UNAVAILABLE'), String(error)).toBe(true);
      return error as KeyrotError;
    };
    try {
      // A root-owned 0777 directory, seen by an ordinary user (uid 1000): refused, nothing copied into it.
      const shared = path.join(pkg.root, 'shared');
      await fs.mkdir(shared, { mode: 0o777 });
      await fs.chmod(shared, 0o777);
      const foreign = await refusal(shared, 1000);
      expect(foreign.message).toBe(
        `keyrot does not run the tray helper from ${shared}: ${shared} belongs to user id 0, not to you (user id 1000)`,
      );
      expect(await fs.readdir(shared)).toEqual([]);
      // The same directory for its owner is still refused while others may write it; the hint says how to fix it.
      const loose = await refusal(shared);
      expect(loose.message).toContain(`${shared} can be written by others (mode 0777)`);
      expect(loose.hint).toContain(`chmod 700 ${shared}`);
      // A real directory of another user (chown, as the tests run as root), and a subdirectory planted inside ours.
      const other = path.join(pkg.root, 'other');
      await fs.mkdir(other, { mode: 0o700 });
      await fs.chown(other, 65534, 65534);
      expect((await refusal(other)).message).toContain('belongs to user id 65534');
      const ours = path.join(pkg.root, 'ours');
      await fs.mkdir(path.join(ours, 'tray-helper'), { recursive: true, mode: 0o700 });
      await fs.chown(path.join(ours, 'tray-helper'), 65534, 65534);
      expect((await refusal(ours)).message).toContain(
        `${path.join(ours, 'tray-helper')} belongs to user id 65534`,
      );
    } finally {
      await fs.rm(pkg.root, { recursive: true, force: true });
    }
  });

  it('says TRAY_UNAVAILABLE on a platform systray2 does not support', async () => {
    const error = await prepareTrayHelper({ cacheDir: tmpdir(), platform: 'freebsd' }).catch(
      (e: unknown) => e,
    );
    expect(isKeyrotError(error, 'TRAY_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/no tray icon on freebsd/);
  });

  it('finds the real systray2 package and its Linux helper', async () => {
    const pkg = locateSystray2();
    expect(pkg.version).toMatch(/^2\./);
    await expect(fs.access(path.join(pkg.dir, 'traybin', 'tray_linux_release'))).resolves.toBeUndefined();
  });
});

describe('keyrotCacheDir', () => {
  it('follows each platform convention', () => {
    expect(keyrotCacheDir({ HOME: '/h' }, 'linux')).toBe('/h/.cache/keyrot');
    expect(keyrotCacheDir({ HOME: '/h', XDG_CACHE_HOME: '/c' }, 'linux')).toBe('/c/keyrot');
    expect(keyrotCacheDir({ HOME: '/Users/a' }, 'darwin')).toBe('/Users/a/Library/Caches/keyrot');
    expect(keyrotCacheDir({ USERPROFILE: 'C:\\Users\\a', LOCALAPPDATA: 'C:\\L' }, 'win32')).toBe(
      'C:\\L\\keyrot',
    );
  });
});
