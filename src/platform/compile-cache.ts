// Node's compile cache (Node 22.8+) in keyrot's own cache directory: a later run loads a bundle's
// compiled code instead of compiling it again. Node 20 has none.
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { privateDirProblemSync } from '../fs/private-dir.js';

/**
 * Turns on Node's compile cache in `cacheDir`/node-compile-cache, before a bundle is loaded. Only when
 * that directory is private (src/fs/private-dir.ts), because what is cached there runs. Node never
 * throws here: a directory it cannot use leaves the cache off. True when it is on.
 */
export function enableCompileCache(cacheDir: string): boolean {
  const { enableCompileCache: enable, constants } = module as {
    enableCompileCache?: (dir: string) => { status: number };
    constants?: { compileCacheStatus?: Record<string, number> };
  };
  if (typeof enable !== 'function') return false;
  const dir = join(cacheDir, 'node-compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (privateDirProblemSync(dir, lstatSync)) return false;
  } catch {
    return false;
  }
  const { status } = enable(dir);
  const on = constants?.compileCacheStatus;
  return status === on?.ENABLED || status === on?.ALREADY_ENABLED;
}
