// Real file system, real processes: what a reader in another process can observe while keyrot rewrites the
// file, and that several keyrot processes editing one file never lose each other's edits.
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { beforeAll, describe, expect, it } from 'vitest';
import { setProfileKey } from '../../src/credentials/edit.js';
import { tempDir } from '../support/cleanup.js';
import { DIST_CREDENTIALS, distBuilt, runNodeScript } from './support/children.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('realfs');
});

const digits = (n: number) => String(n).padStart(16, '0');
const keyFor = (n: number) => ({
  accessKeyId: `AKIA${digits(n)}`,
  secretAccessKey: `S${digits(n)}${'x'.repeat(23)}`,
});
// ~200 KB of other profiles around the one that changes, so that a torn write would be visible.
const filler = (from: number) =>
  Array.from(
    { length: 1_000 },
    (_, i) =>
      `[other-${from + i}]\naws_access_key_id = AKIAOTHER${digits(i).slice(5)}\naws_secret_access_key = ${'o'.repeat(40)}\n\n`,
  ).join('');
const PREFIX = `# the reader checks every byte of this file\n${filler(0)}[target]\n`;
const SUFFIX = `region = eu-central-1 ; keep me\n\n${filler(1_000)}`;
const versionText = (n: number) =>
  `${PREFIX}aws_access_key_id = ${keyFor(n).accessKeyId}\naws_secret_access_key = ${keyFor(n).secretAccessKey}\n${SUFFIX}`;

// Reads the file in a tight loop until the stop file appears; every read must be exactly one complete version
// (prefix and suffix intact, key id and secret from the same version). Prints {reads, versions, bad, example}.
const READER = `
import { existsSync, readFileSync } from 'node:fs';
const [file, stop, prefix, suffix] = process.argv.slice(1).map((a, i) => (i < 2 ? a : JSON.parse(a)));
const middle = /^aws_access_key_id = AKIA(\\d{16})\\naws_secret_access_key = S(\\d{16})x{23}\\n$/;
let reads = 0, bad = 0, example = null;
const versions = new Set();
// Never outlive the test: stop at the stop file, when orphaned, or after 170 s.
const deadline = Date.now() + 170_000;
for (let i = 0; ; i++) {
  if (i % 64 === 0 && (existsSync(stop) || process.ppid === 1 || Date.now() > deadline)) break;
  let text;
  try { text = readFileSync(file, 'utf8'); } catch (e) { bad++; example ??= 'read error ' + e.code; continue; }
  reads++;
  const m = text.startsWith(prefix) && text.endsWith(suffix) ? middle.exec(text.slice(prefix.length, text.length - suffix.length)) : null;
  if (!m || m[1] !== m[2]) { bad++; example ??= 'length ' + text.length; continue; }
  versions.add(m[1]);
}
process.stdout.write(JSON.stringify({ reads, versions: versions.size, bad, example }));
`;

async function readerDuring(file: string, write: (n: number) => Promise<void> | void, rewrites: number) {
  const stop = `${file}.stop`;
  const reader = runNodeScript(READER, [file, stop, JSON.stringify(PREFIX), JSON.stringify(SUFFIX)]);
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the reader start its loop
  for (let n = 1; n <= rewrites; n += 1) await write(n);
  await writeFile(stop, '');
  return JSON.parse(await reader) as { reads: number; versions: number; bad: number; example: string | null };
}

describe('atomicity on a real file system', () => {
  it('a reader in another process sees only complete old or new files during 1,000 keyrot rewrites', async () => {
    const file = join(dir, 'credentials');
    await writeFile(file, versionText(0), { mode: 0o600 });
    const seen = await readerDuring(
      file,
      async (n) => {
        await setProfileKey({ file, profile: 'target', ...keyFor(n) });
      },
      1_000,
    );
    expect(seen.bad, `first bad read: ${seen.example}`).toBe(0);
    expect(seen.reads).toBeGreaterThan(1_000);
    expect(seen.versions).toBeGreaterThan(50); // the reader really ran during the rewrites
    expect(await readFile(file, 'utf8')).toBe(versionText(1_000));
  }, 180_000);

  it('control: the same reader does catch a truncate-and-write writer (so it can see tearing)', async () => {
    const file = join(dir, 'credentials-naive');
    await writeFile(file, versionText(0), { mode: 0o600 });
    const seen = await readerDuring(file, (n) => writeFileSync(file, versionText(n)), 1_000);
    expect(seen.bad).toBeGreaterThan(0);
  }, 180_000);
});

describe.runIf(distBuilt)('several keyrot processes editing one file', () => {
  it('never lose each other’s edits (the file lock serialises read-modify-write)', async () => {
    const file = join(dir, 'shared-credentials');
    const initial = Array.from(
      { length: 4 },
      (_, w) => `[w${w}]\naws_access_key_id = AKIA${digits(0)}\naws_secret_access_key = s\n`,
    );
    await writeFile(file, `# four writers\n${initial.join('\n')}`, { mode: 0o600 });
    const writer = `
      const { setProfileKey } = await import(${JSON.stringify(DIST_CREDENTIALS)});
      const [file, profile] = process.argv.slice(1);
      for (let n = 1; n <= 25; n++) {
        await setProfileKey({ file, profile, accessKeyId: 'AKIA' + String(n).padStart(16, '0'), secretAccessKey: profile + '-' + n });
      }`;
    await Promise.all([0, 1, 2, 3].map((w) => runNodeScript(writer, [file, `w${w}`])));
    const { credentialsFile } = await loadSharedConfigFiles({
      filepath: file,
      configFilepath: join(dir, 'none'),
      ignoreCache: true,
    });
    for (const w of [0, 1, 2, 3]) {
      expect(credentialsFile[`w${w}`]).toEqual({
        aws_access_key_id: `AKIA${digits(25)}`,
        aws_secret_access_key: `w${w}-25`,
      });
    }
    expect((await readFile(file, 'utf8')).startsWith('# four writers\n[w0]\n')).toBe(true);
  }, 180_000);
});
