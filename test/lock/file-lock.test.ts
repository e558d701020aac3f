// fs-native-extensions' prebuilt binary, loaded directly (src/lock/file-lock.ts): the same kernel lock as
// through the package, and the package's own loader when the binary is not where it ships it.
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prebuiltLocks } from '../../src/lock/file-lock.js';
import { tempDir } from '../support/cleanup.js';

const load = createRequire(import.meta.url);

describe('prebuiltLocks', () => {
  it('locks an open file exclusively: a second open file of it is refused until the first is closed', async () => {
    const locks = prebuiltLocks(load);
    expect(locks).toBeDefined();
    const file = join(await tempDir('file-lock'), 'lock');
    const first = await open(file, 'w');
    const second = await open(file, 'r+');
    try {
      expect(locks?.tryLock(first.fd, 0, 0)).toBe(true);
      expect(locks?.tryLock(second.fd, 0, 0)).toBe(false);
      await first.close();
      expect(locks?.tryLock(second.fd, 0, 0)).toBe(true);
    } finally {
      await first.close().catch(() => undefined);
      await second.close();
    }
  });

  it('gives way to the package when the binary is not where the package ships it', () => {
    const missing = ((id: string) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    }) as unknown as NodeJS.Require;
    expect(prebuiltLocks(missing)).toBeUndefined();
  });
});
