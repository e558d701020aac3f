// Runs a CommonJS bundle made by scripts/build-cli.mjs with V8's compiled code cached on disk.
// Node 22 has module.enableCompileCache(); Node 20 does not, and compiling the rotation bundle (the AWS
// SDK inside) costs ~100 ms of a ~300 ms `rotate-now`. With the cache, V8 skips that work.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import vm from 'node:vm';
import { readCacheFile, writeCacheFile } from './cache-file.js';

/** What loadBundle needs. */
export interface LoadBundleOptions {
  /** The bundle (CommonJS). */
  bundlePath: string;
  /** Where the compiled code is kept; null runs the bundle without a cache. */
  cacheDir: string | null;
  /**
   * Which use of the bundle this is (e.g. the command). Each use keeps its own cache, because a cache
   * holds only the functions its first run compiled: `status --offline` never compiles the AWS SDK.
   */
  use: string;
  /** Modules the bundle requires that must be the caller's own instances (e.g. the KeyrotError class). */
  externals?: Record<string, unknown>;
}

/** What the cache did on this load (tests and the benchmark look at it). */
export type CacheUse = 'hit' | 'miss' | 'rejected' | 'off';

/** A loaded bundle and what happened to its cache. */
export interface LoadedBundle<T> {
  exports: T;
  cache: CacheUse;
  /** The cache file for this bundle's exact text and this Node, if caching is on. */
  cacheFile: string | null;
  /** Writes the compiled code (everything run so far) to the cache unless it was used as it is. */
  saveCache(): void;
}

// The code cache is only valid for the very same source and V8: the key covers both, because V8 itself
// checks little more than the source length.
function cacheKey(source: string): string {
  return createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${process.execArgv.join(' ')}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Loads `bundlePath` as a CommonJS module, using the compiled code cached in `cacheDir` when it matches.
 * The cache is written by saveCache() — callers save after a successful run, so it holds the functions
 * a real run compiles, not just the top level.
 */
export function loadBundle<T>(options: LoadBundleOptions): LoadedBundle<T> {
  const source = readFileSync(options.bundlePath, 'utf8');
  const prefix = `${basename(options.bundlePath)}-${options.use}-`;
  const cacheFile = options.cacheDir ? join(options.cacheDir, `${prefix}${cacheKey(source)}.v8`) : null;
  const cachedData = cacheFile ? readCacheFile(cacheFile) : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: options.bundlePath,
    // No importModuleDynamically: Node 20 drops it when the script comes from the cache, so the build
    // leaves no import() in a bundle (scripts/build-cli.mjs).
    cachedData,
  });
  const cache: CacheUse = !cacheFile
    ? 'off'
    : !cachedData
      ? 'miss'
      : script.cachedDataRejected
        ? 'rejected'
        : 'hit';

  const nodeRequire = createRequire(options.bundlePath);
  const externals = options.externals ?? {};
  const requireFromBundle = (id: string): unknown =>
    Object.hasOwn(externals, id) ? externals[id] : nodeRequire(id);
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(
    module.exports,
    module.exports,
    requireFromBundle,
    module,
    options.bundlePath,
    dirname(options.bundlePath),
  );

  return {
    exports: module.exports,
    cache,
    cacheFile,
    saveCache() {
      if (!cacheFile || cache === 'hit') return;
      try {
        writeCacheFile(cacheFile, script.createCachedData(), prefix);
      } catch {
        // A cache that cannot be written only means the next run compiles again.
      }
    },
  };
}
