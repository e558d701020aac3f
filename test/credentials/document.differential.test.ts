import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSharedFile } from '../../src/credentials/document.js';
import { type FileKind, type ScanVisitor, scanSharedText } from '../../src/credentials/grammar.js';
import { outputBytes } from '../../src/credentials/output-bytes.js';
import { scanWantedSections } from '../../src/credentials/section-finder.js';
import { sharedFileText } from './support/generators.js';
import { asObject, sdkReading } from './support/sdk-oracle.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
// Runs per property: each takes about a second on an idle machine (the SDK oracle writes and reads a file
// per run), so that it ends well inside its 180 s timeout even when a loaded machine (load 15 on 2 cores,
// Node 24) makes it 50-100 times slower. A bounded count, never a time budget: every run is checked.
const RUNS = { read: 2_000, edit: 1_000, insert: 1_000, scan: 3_000 };
let dir: string;

beforeAll(async () => {
  // The oracle reads real files; a memory file system keeps 16,000 write-read rounds off a busy disk.
  dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'keyrot-diff-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectSameReading(text: string): Promise<void> {
  const sdk = await sdkReading(dir, text);
  expect(asObject(parseSharedFile(text, 'credentials').profiles())).toEqual(sdk.credentials);
  expect(asObject(parseSharedFile(text, 'config').profiles())).toEqual(sdk.config);
}

describe('document model reads exactly like loadSharedConfigFiles', () => {
  it('agrees on every fixture file', async () => {
    const files = (await readdir(FIXTURES, { recursive: true, withFileTypes: true })).filter((entry) =>
      entry.isFile(),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const entry of files) {
      const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
      await expectSameReading(text);
    }
  });

  it(`agrees on ${RUNS.read.toLocaleString('en')} generated files`, async () => {
    await fc.assert(fc.asyncProperty(sharedFileText, expectSameReading), { numRuns: RUNS.read });
  }, 180_000);
});

// An edit of one key: the SDK reads the old reading with that one value changed, and the bytes differ only there.
async function expectSurgicalEdit(text: string, kind: FileKind, pick: number, value: string): Promise<void> {
  const before = parseSharedFile(text, kind).profiles();
  const targets = [...before].flatMap(([profile, values]) =>
    Object.keys(values).map((key) => ({ profile, key })),
  );
  const target = targets.filter(({ key }) => /^[A-Za-z0-9_.-]+$/.test(key))[
    pick % Math.max(targets.length, 1)
  ];
  if (!target) return;
  const doc = parseSharedFile(text, kind);
  doc.setProfileValue(target.profile, target.key, value);
  const after = doc.toString();
  // The writer's byte chunks (original bytes around the splices) are exactly the edited text's bytes.
  expect(Buffer.concat(outputBytes(Buffer.from(text), text, doc)).equals(Buffer.from(after))).toBe(true);
  const old = (before.get(target.profile) as Record<string, string>)[target.key] as string;
  const expected = structuredClone(asObject(before));
  (expected[target.profile] as Record<string, string>)[target.key] = value;
  const sdk = await sdkReading(dir, after);
  expect(kind === 'credentials' ? sdk.credentials : sdk.config).toEqual(expected);
  let surgical = false;
  for (let at = text.indexOf(old); at !== -1 && !surgical; at = text.indexOf(old, at + 1)) {
    surgical = text.slice(0, at) + value + text.slice(at + old.length) === after;
  }
  expect(surgical).toBe(true);
}

describe('surgical edits agree with the SDK and change only value bytes', () => {
  it(`on ${RUNS.edit.toLocaleString('en')} generated files`, async () => {
    await fc.assert(
      fc.asyncProperty(
        sharedFileText,
        fc.constantFrom<FileKind>('credentials', 'config'),
        fc.nat(),
        fc.constantFrom('AKIANEWKEYID00000001', 'new/secret+value=', 'x'),
        expectSurgicalEdit,
      ),
      { numRuns: RUNS.edit },
    );
  }, 180_000);
});

// An insertion (missing key, or missing profile with create): the SDK sees exactly one more value and
// the old text survives as an untouched prefix and suffix around the inserted bytes.
async function expectCleanInsert(text: string, kind: FileKind, profile: string, key: string): Promise<void> {
  const before = parseSharedFile(text, kind).profiles();
  if (before.get(profile)?.[key] !== undefined) return;
  const doc = parseSharedFile(text, kind);
  try {
    doc.setProfileValue(profile, key, 'AKIAINSERTED00000001', { create: true });
  } catch (error) {
    // Only a file the SDK rejects outright may refuse (it reads as empty).
    expect(doc.blockedLine()).toBeGreaterThan(0);
    expect(String(error)).toMatch(/__proto__/);
    return;
  }
  const after = doc.toString();
  expect(Buffer.concat(outputBytes(Buffer.from(text), text, doc)).equals(Buffer.from(after))).toBe(true);
  const expected = structuredClone(asObject(before));
  expected[profile] = { ...(expected[profile] ?? {}), [key]: 'AKIAINSERTED00000001' };
  const sdk = await sdkReading(dir, after);
  expect(kind === 'credentials' ? sdk.credentials : sdk.config).toEqual(expected);
  let prefix = 0;
  while (prefix < text.length && text[prefix] === after[prefix]) prefix += 1;
  expect(after.endsWith(text.slice(prefix))).toBe(true);
}

describe('inserted keys and sections agree with the SDK and keep every old byte', () => {
  it(`on ${RUNS.insert.toLocaleString('en')} generated files`, async () => {
    await fc.assert(
      fc.asyncProperty(
        sharedFileText,
        fc.constantFrom<FileKind>('credentials', 'config'),
        fc.constantFrom('default', 'a', 'dev', 'x.y', 'p-1', 'new-profile', 'profile.a', 'sso-session.a'),
        fc.constantFrom('aws_access_key_id', 'aws_secret_access_key', 'region', 's3.max'),
        expectCleanInsert,
      ),
      { numRuns: RUNS.insert },
    );
  }, 180_000);
});

// What a visitor hears about the wanted sections, as a list of calls.
function record(scan: (visitor: ScanVisitor) => void, wanted: Set<string>): string[] {
  const calls: string[] = [];
  scan({
    header: (section, line, next) => {
      if (section !== undefined && wanted.has(section)) calls.push(`h ${section} ${line} ${next}`);
    },
    entry: (section, key, start, end, line, next) => {
      if (wanted.has(section)) calls.push(`e ${section} ${key} ${start} ${end} ${line} ${next}`);
    },
    opener: (section, line, next) => {
      if (wanted.has(section)) calls.push(`o ${section} ${line} ${next}`);
    },
  });
  return calls;
}

describe('the jump scan reports exactly what the line-by-line scan reports for the wanted sections', () => {
  it(`on ${RUNS.scan.toLocaleString('en')} generated files and name sets`, () => {
    const names = [
      'default',
      'a',
      'dev',
      'x.y',
      'p-1',
      'profile.a',
      'profile.dev',
      'profile.x.y',
      'sso-session.a',
      ' a ',
      '1',
    ];
    fc.assert(
      fc.property(sharedFileText, fc.subarray(names, { minLength: 1 }), (text, picked) => {
        const wanted = new Set(picked);
        const full = record((v) => scanSharedText(text, v), wanted);
        const jumped = record((v) => scanWantedSections(text, wanted, v), wanted);
        expect(jumped).toEqual(full);
      }),
      { numRuns: RUNS.scan },
    );
  }, 180_000);
});
