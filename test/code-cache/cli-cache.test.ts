import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { runCli } from '../support/run-cli.js';
import { createWorld, profileBlock } from '../support/world.js';

let home: string;
beforeEach(async () => {
  home = await tempDir('cli-cache');
  await mkdir(join(home, '.aws'), { mode: 0o700 });
  writeFileSync(
    join(home, '.aws', 'credentials'),
    '[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-a-real-secret\n',
    { mode: 0o600 },
  );
});

const env = () => ({ PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache-home') });
const cacheDir = () => join(home, 'cache-home', 'keyrot');

describe('the built CLI and its code cache', () => {
  it('writes the cache of a command after it succeeds, privately, and then only reads it', async () => {
    const first = await runCli(['status', '--offline'], { env: env() });
    expect(first.code).toBe(0);
    const [name, ...others] = readdirSync(cacheDir());
    expect(others).toEqual([]);
    expect(name).toMatch(/^rotation-commands\.bundle\.cjs-status-offline-[0-9a-f]{32}\.v8$/);
    const file = join(cacheDir(), name as string);
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = statSync(file);

    const second = await runCli(['status', '--offline'], { env: env() });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(statSync(file).ino).toBe(written.ino);
    expect(statSync(file).mtimeMs).toBe(written.mtimeMs);
  });

  it('writes no cache after a run that fails', async () => {
    writeFileSync(join(home, 'bad.ini'), 'max_age_days = banana\n');
    const result = await runCli(['status', '--offline'], {
      env: { ...env(), KEYROT_CONFIG: join(home, 'bad.ini') },
    });
    expect(result.code).toBe(2);
    expect(() => readdirSync(cacheDir())).toThrow(/ENOENT/);
  });
});

describeWith('secretService')('rotate-now from the code cache', () => {
  it('rotates with a cache another run wrote, through the real keychain, leaving the cache as it was', async () => {
    const cacheHome = join(home, 'shared-cache');
    const rotateIn = async () => {
      const world = await createWorld({ env: { XDG_CACHE_HOME: cacheHome } });
      try {
        const old = (await world.seed('cached', { keyAgeDays: 120 })).keys[0]!;
        await world.writeCredentials(profileBlock('p', old));
        const result = await world.run(['rotate-now', '--profile', 'p', '--json']);
        expect(result.stderr).not.toMatch(/dynamic import|unexpected error/i);
        expect(result.code).toBe(0);
        expect((await world.currentKey('p')).accessKeyId).not.toBe(old.accessKeyId);
      } finally {
        await world.close();
      }
    };
    await rotateIn();
    const [name] = readdirSync(join(cacheHome, 'keyrot'));
    expect(name).toMatch(/^rotation-commands\.bundle\.cjs-rotate-now-/);
    const written = statSync(join(cacheHome, 'keyrot', name as string));
    await rotateIn();
    expect(statSync(join(cacheHome, 'keyrot', name as string)).ino).toBe(written.ino);
  });
});
