// Loading a bundle with every function compiled, when Node's compile cache is on: observed through the
// cache files Node writes, in a child process that turns the cache on (Node 22.8+; Node 20 has none).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheIsOn, loadCompiledEagerly } from '../../src/platform/eager-compile.js';
import { tempDir } from '../support/cleanup.js';

const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const EAGER = new URL('../../dist/platform/eager-compile.js', import.meta.url).href;

/** A CommonJS file of many functions that are never called (so V8 compiles them only when told to). */
function bundleLike(file: string): void {
  const functions = Array.from(
    { length: 200 },
    (_, i) => `exports.f${i} = function () { return [${i}, 'x'.repeat(${i})].join(); };`,
  );
  writeFileSync(file, `${functions.join('\n')}\nexports.loaded = true;\n`);
}

/** The size of the one cache entry Node wrote into `dir` (its entries sit in one version folder). */
function cacheEntrySize(dir: string): number {
  const [tag] = readdirSync(dir);
  const [entry, ...others] = readdirSync(join(dir, tag as string));
  expect(others).toEqual([]);
  return statSync(join(dir, tag as string, entry as string)).size;
}

describe('loadCompiledEagerly', () => {
  it('loads as usual while the compile cache is off', async () => {
    expect(compileCacheIsOn()).toBe(false);
    expect(await loadCompiledEagerly(async () => 'loaded')).toBe('loaded');
  });

  it('runs the top level of a bundle built to defer it, once, after loading, and gives its exports', async () => {
    const runs: string[] = [];
    const real = { answer: 42 };
    const deferred = {
      __keyrotRun: () => {
        runs.push('run');
        return real;
      },
    };
    const loaded = await loadCompiledEagerly(async () => {
      runs.push('load');
      return deferred as unknown as typeof real;
    });
    expect(loaded).toBe(real);
    expect(runs).toEqual(['load', 'run']);
  });

  it(
    hasCompileCache
      ? `makes the compile cache keep every function of what it loads (Node ${process.version})`
      : `loads as usual on Node ${process.version}, which has no compile cache`,
    async () => {
      const dir = await tempDir('eager-compile');
      const file = join(dir, 'bundle.cjs');
      bundleLike(file);
      /** Loads the file in a child process with the cache on from then on (the helper itself is not cached). */
      const run = (cacheDir: string, eager: boolean) => {
        const script = `
          import(${JSON.stringify(EAGER)}).then(async ({ compileCacheIsOn, loadCompiledEagerly }) => {
            require('node:module').enableCompileCache?.(${JSON.stringify(cacheDir)});
            const load = async () => require(${JSON.stringify(file)});
            const loaded = ${eager ? 'await loadCompiledEagerly(load)' : 'await load()'};
            process.stdout.write(JSON.stringify({ on: compileCacheIsOn(), loaded: loaded.loaded }));
          });`;
        const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
        expect(result.status, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as { on: boolean; loaded: boolean };
      };
      const plain = join(dir, 'cache-plain');
      const eager = join(dir, 'cache-eager');
      expect(run(plain, false)).toEqual({ on: hasCompileCache, loaded: true });
      expect(run(eager, true)).toEqual({ on: hasCompileCache, loaded: true });
      if (!hasCompileCache) {
        expect(existsSync(eager)).toBe(false);
        return;
      }
      // Every function's code is in the eager cache entry: more than twice the top level alone.
      expect(cacheEntrySize(eager)).toBeGreaterThan(2 * cacheEntrySize(plain));
    },
  );
});
