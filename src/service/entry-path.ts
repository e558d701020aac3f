// Where this keyrot is installed, found from wherever its code runs (src/, dist/, or a bundle in
// dist/): the service runs the package's own `bin`, and checks that an installed unit still does.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyrotError } from '../errors/keyrot-error.js';

/** The directory of the keyrot package that contains `file`, or undefined when it is in none. */
export function keyrotPackageRoot(file: string): string | undefined {
  let dir = path.dirname(file);
  for (;;) {
    if (readPackageName(path.join(dir, 'package.json')) === 'keyrot') return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** This keyrot's entry point, its package's `bin` as a real path (npm's links and shims resolve to it). */
export function keyrotEntryPath(from: string = fileURLToPath(import.meta.url)): string {
  const root = keyrotPackageRoot(from);
  if (!root) {
    throw new KeyrotError('SERVICE_FAILED', `cannot find keyrot's package.json above ${from}`, {
      hint: 'Reinstall keyrot (`npm install -g keyrot-<version>.tgz`, or `npm ci` in a checkout).',
    });
  }
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    bin: { keyrot: string };
  };
  const entry = path.join(root, manifest.bin.keyrot);
  return existsSync(entry) ? realpathSync(entry) : entry;
}

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}
