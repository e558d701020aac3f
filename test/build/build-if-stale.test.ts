// `node scripts/build.mjs --if-stale` (npm run demo) on a copy of the checkout: it builds dist/ when it
// is missing or older than src/, and leaves a fresh dist/ alone (the demo right after `npm ci`).
import { cpSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let checkout: string;
beforeEach(async () => {
  checkout = await mkdtemp(join(tmpdir(), 'keyrot-build-'));
  for (const item of ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(ROOT, item), join(checkout, item), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
});
afterEach(async () => {
  await rm(checkout, { recursive: true, force: true });
});

const buildIfStale = async () => {
  const result = await runCommand(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: checkout,
    timeoutMs: 120_000,
  });
  expect(result.code, result.stderr).toBe(0);
};
/** The bin's inode and modification time: a build writes a new file. */
const binStamp = () => {
  const stats = statSync(join(checkout, 'dist', 'cli.cjs'));
  return `${stats.ino}:${stats.mtimeMs}`;
};

describe('build --if-stale', () => {
  it('builds a missing dist/, keeps a fresh one, and rebuilds after a source changes', async () => {
    await buildIfStale();
    const built = binStamp();

    await buildIfStale();
    expect(binStamp()).toBe(built);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(checkout, 'src', 'cli.ts'), later, later);
    await buildIfStale();
    expect(binStamp()).not.toBe(built);
  });
});
