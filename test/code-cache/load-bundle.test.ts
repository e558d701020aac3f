import { chmodSync, chownSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/code-cache/load-bundle.js';
import { tempDir } from '../support/cleanup.js';
import { runCommand } from '../support/run-cli.js';

let dir: string;
let bundlePath: string;
let cacheDir: string;

// A small CommonJS bundle: an export, a require of a Node module, an external and a nested function.
const SOURCE = `
const path = require('node:path');
const shared = require('../shared.js');
exports.answer = () => [1, 2, 3].map((n) => n * 14).reduce((a, b) => a + b) / 2;
exports.base = path.basename(__filename);
exports.shared = shared;
`;

beforeEach(async () => {
  dir = await tempDir('code-cache');
  bundlePath = join(dir, 'bundle.cjs');
  writeFileSync(bundlePath, SOURCE);
  cacheDir = join(dir, 'cache');
});

// V8 keeps scripts it compiled in memory, so a second load in this process would never read the
// file: whether the cache on disk is used is asked of a fresh process (the built loader, as the CLI runs it).
const BUILT_LOADER = fileURLToPath(new URL('../../dist/code-cache/load-bundle.js', import.meta.url));
async function loadInFreshProcess(): Promise<{ cache: string; answer: number; cacheFile: string }> {
  const script = `
    const { loadBundle } = await import(${JSON.stringify(BUILT_LOADER)});
    const bundle = loadBundle({ bundlePath: process.argv[1], cacheDir: process.argv[2], use: 'test', externals: { '../shared.js': {} } });
    const answer = bundle.exports.answer();
    bundle.saveCache();
    console.log(JSON.stringify({ cache: bundle.cache, answer, cacheFile: bundle.cacheFile }));`;
  const result = await runCommand(process.execPath, [
    '--input-type=module',
    '-e',
    script,
    bundlePath,
    cacheDir,
  ]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

type Exports = { answer(): number; base: string; shared: unknown };
const shared = { marker: Symbol('the caller’s instance') };
const load = (options: { cacheDir?: string | null; use?: string } = {}) =>
  loadBundle<Exports>({
    bundlePath,
    cacheDir: options.cacheDir === undefined ? cacheDir : options.cacheDir,
    use: options.use ?? 'test',
    externals: { '../shared.js': shared },
  });

describe('loadBundle', () => {
  it('runs the bundle as CommonJS, with the caller’s instances for externals', () => {
    const bundle = load({ cacheDir: null });
    expect(bundle.cache).toBe('off');
    expect(bundle.exports.answer()).toBe(42);
    expect(bundle.exports.base).toBe('bundle.cjs');
    expect(bundle.exports.shared).toBe(shared);
  });

  it('misses, saves the compiled code privately, then hits without rewriting it', async () => {
    const first = await loadInFreshProcess();
    expect(first).toMatchObject({ cache: 'miss', answer: 42 });
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(first.cacheFile).mode & 0o777).toBe(0o600);
    const written = statSync(first.cacheFile);

    const second = await loadInFreshProcess();
    expect(second).toEqual({ cache: 'hit', answer: 42, cacheFile: first.cacheFile });
    // A hit leaves the file alone (same inode, same time): nothing to write on the fast path.
    expect(statSync(first.cacheFile).ino).toBe(written.ino);
    expect(statSync(first.cacheFile).mtimeMs).toBe(written.mtimeMs);
    // No temporary file is left behind.
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });

  it('keys the cache by the bundle text: a new build gets a new file and the old one is removed', () => {
    const old = load();
    old.saveCache();
    writeFileSync(bundlePath, SOURCE.replace('n * 14', 'n * 7'));
    const rebuilt = load();
    expect(rebuilt.cache).toBe('miss');
    expect(rebuilt.exports.answer()).toBe(21);
    rebuilt.saveCache();
    expect(readdirSync(cacheDir)).toEqual([(rebuilt.cacheFile as string).split('/').pop()]);
  });

  it('keeps one cache per use of the bundle', () => {
    load({ use: 'status-offline' }).saveCache();
    const other = load({ use: 'rotate-now' });
    expect(other.cache).toBe('miss');
    other.saveCache();
    expect(readdirSync(cacheDir).sort()).toEqual([
      expect.stringMatching(/^bundle\.cjs-rotate-now-[0-9a-f]{32}\.v8$/),
      expect.stringMatching(/^bundle\.cjs-status-offline-[0-9a-f]{32}\.v8$/),
    ]);
  });

  it('runs from source when the cache file is garbage, and replaces it', async () => {
    const first = await loadInFreshProcess();
    writeFileSync(first.cacheFile, Buffer.alloc(4096, 7), { mode: 0o600 });
    expect(await loadInFreshProcess()).toMatchObject({ cache: 'rejected', answer: 42 });
    expect(await loadInFreshProcess()).toMatchObject({ cache: 'hit', answer: 42 });
  });

  it('never trusts a cache others could have written', () => {
    const first = load();
    first.saveCache();
    const file = first.cacheFile as string;

    chmodSync(file, 0o666);
    expect(load().cache).toBe('miss');
    chmodSync(file, 0o600);
    expect(load().cache).toBe('hit');

    chmodSync(cacheDir, 0o777);
    const open = load();
    expect(open.cache).toBe('miss');
    // Nor does it write into such a directory.
    open.saveCache();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(cacheDir, 0o700);

    if (process.getuid?.() === 0) {
      chownSync(file, 65534, 65534);
      expect(load().cache).toBe('miss');
    }
  });

  it('does not follow a symlink put in place of the cache file', () => {
    const first = load();
    first.saveCache();
    const file = first.cacheFile as string;
    const elsewhere = join(dir, 'elsewhere.v8');
    writeFileSync(elsewhere, Buffer.alloc(16));
    chmodSync(elsewhere, 0o600);
    rmSync(file);
    symlinkSync(elsewhere, file);
    expect(load().cache).toBe('miss');
  });

  it('still runs when the cache directory cannot be created', () => {
    writeFileSync(join(dir, 'a-file'), '');
    const bundle = load({ cacheDir: join(dir, 'a-file', 'cache') });
    expect(bundle.cache).toBe('miss');
    expect(() => bundle.saveCache()).not.toThrow();
    expect(bundle.exports.answer()).toBe(42);
  });
});
