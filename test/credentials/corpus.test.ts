// The bad-input corpus: odd and malformed AWS shared files (test/fixtures/shared-files) plus cases made at
// test time (a 50 MB file, a directory, a FIFO, dangling and looping symlinks, an unreadable file). Every one
// gets either a correct edit — the SDK reads exactly the new key, every other byte is kept — or a clear
// KeyrotError, and then the file is byte-identical and nothing is left beside it.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { beforeEach, describe, expect, it } from 'vitest';
import { setProfileKey } from '../../src/credentials/edit.js';
import type { FileKind } from '../../src/credentials/grammar.js';
import { type ErrorCode, isKeyrotError } from '../../src/errors/keyrot-error.js';
import { faultyFs, memoryLock } from '../fs/faulty-fs.js';
import { tempDir } from '../support/cleanup.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'shared-files');
const NEW = {
  accessKeyId: 'AKIANEWKEYNEWKEY0042',
  secretAccessKey: 'newSecret/newSecret+newSecret/newSecret4',
};

interface Case {
  profile?: string;
  create?: boolean;
  expect: 'edit' | ErrorCode;
}
// Expected outcome per fixture, reasoned from the SDK's grammar (and checked against the SDK below).
const CASES: Record<string, Case[]> = {
  '01-basic.ini': [{ expect: 'edit' }],
  '02-empty.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '03-only-comments.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '04-bom-crlf.ini': [{ expect: 'edit' }],
  '05-no-final-newline.ini': [{ expect: 'edit' }],
  '06-duplicate-profiles.ini': [{ expect: 'edit' }],
  '07-duplicate-keys.ini': [{ expect: 'edit' }],
  '08-profile-default-in-credentials.ini': [
    { expect: 'PROFILE_NOT_FOUND' },
    { profile: 'profile.default', expect: 'edit' },
  ],
  '09-upper-case-keys.ini': [{ expect: 'NO_STATIC_KEY' }, { expect: 'edit', create: true }],
  '10-unterminated-header.ini': [{ expect: 'edit' }],
  '11-proto-section.ini': [{ expect: 'FILE_INVALID' }, { expect: 'FILE_INVALID', create: true }],
  '12-session-token.ini': [
    { expect: 'SESSION_CREDENTIALS' },
    { expect: 'SESSION_CREDENTIALS', create: true },
  ],
  '13-role-profile.ini': [{ expect: 'UNSUPPORTED_PROFILE' }, { profile: 'base', expect: 'edit' }],
  '14-sso-profile.ini': [{ expect: 'UNSUPPORTED_PROFILE', create: true }],
  '15-credential-process.ini': [{ expect: 'UNSUPPORTED_PROFILE' }],
  '16-spaces-in-header.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { profile: ' default ', expect: 'edit' }],
  '17-inline-comments.ini': [{ expect: 'edit' }],
  '18-tabs.ini': [{ expect: 'edit' }],
  '19-equals-in-values.ini': [{ expect: 'edit' }],
  '20-quoted-values.ini': [{ expect: 'edit' }],
  '21-subsection.ini': [{ expect: 'edit' }],
  '22-empty-values.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '23-key-without-equals.ini': [{ expect: 'PROFILE_NOT_FOUND' }],
  '24-leading-equals.ini': [{ expect: 'edit' }],
  '25-unicode-names.ini': [{ expect: 'edit' }, { profile: 'prøfile-ünï', expect: 'edit' }],
  '26-nbsp-whitespace.ini': [{ expect: 'edit' }],
  '27-lone-cr-newlines.ini': [{ expect: 'PROFILE_NOT_FOUND' }],
  '28-mixed-newlines.ini': [{ expect: 'edit' }],
  '29-binary-garbage.bin': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'FILE_INVALID', create: true }],
  '30-latin1-comment.ini': [{ expect: 'edit' }],
  '31-nul-bytes.ini': [{ expect: 'edit' }],
  '32-invalid-utf8-in-value.ini': [{ expect: 'FILE_INVALID' }],
  '33-header-hash-no-space.ini': [{ expect: 'PROFILE_NOT_FOUND' }],
  '34-keys-before-any-header.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '35-indented-header.ini': [{ expect: 'edit' }],
  '36-empty-section.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '37-dotted-profile-names.ini': [{ profile: 'a.b.c', expect: 'edit' }],
  '38-windows-paths.ini': [{ expect: 'edit' }],
  '39-unknown-prefix-header.ini': [{ expect: 'edit' }],
  '40-empty-header.ini': [{ expect: 'edit' }],
  '41-only-header.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '42-comment-value-only.ini': [{ expect: 'NO_STATIC_KEY' }],
  '43-whitespace-only.ini': [{ expect: 'PROFILE_NOT_FOUND' }, { expect: 'edit', create: true }],
  '44-trailing-spaces-crlf.ini': [{ expect: 'edit' }],
  '45-config-profile-forms.config': [{ profile: 'dev', expect: 'edit' }, { expect: 'NO_STATIC_KEY' }],
  '46-config-default-both.config': [{ expect: 'edit' }],
  '47-config-dot-and-quotes.config': [
    { profile: 'qa', expect: 'edit' },
    { profile: 'dev', expect: 'NO_STATIC_KEY' },
  ],
  '48-config-services-and-sso.config': [{ profile: 'dev', expect: 'edit' }],
  '49-config-proto-profile.config': [{ profile: 'x', expect: 'FILE_INVALID', create: true }],
  '50-session-token-in-subsection.ini': [{ expect: 'edit' }],
};

let dir: string;
beforeEach(async () => {
  dir = await tempDir('corpus');
});

async function sdkProfile(file: string, kind: FileKind, profile: string) {
  const none = join(dir, 'absent');
  const files = await loadSharedConfigFiles({
    filepath: kind === 'credentials' ? file : none,
    configFilepath: kind === 'config' ? file : none,
    ignoreCache: true,
  });
  return (kind === 'credentials' ? files.credentialsFile : files.configFile)[profile];
}

/** Runs one case on a copy and checks the outcome; returns the error code or 'edit'. */
async function runCase(name: string, c: Case): Promise<void> {
  const kind: FileKind = name.endsWith('.config') ? 'config' : 'credentials';
  const profile = c.profile ?? 'default';
  const file = join(dir, kind);
  await copyFile(join(FIXTURES, name), file);
  const before = await readFile(file);
  const sdkBefore = await sdkProfile(file, kind, profile);
  const outcome = await setProfileKey({ file, kind, profile, create: c.create, ...NEW }).then(
    () => 'edit' as const,
    (error: unknown) => {
      if (!isKeyrotError(error)) throw error;
      expect(error.file, 'the error names the file').toBe(file);
      expect(error.message).not.toContain(NEW.secretAccessKey);
      return error.code;
    },
  );
  expect(outcome, `${name} (${profile}${c.create ? ', create' : ''})`).toBe(c.expect);
  const after = await readFile(file);
  expect(await readdir(dir), 'nothing left beside the file').toEqual([kind]);
  if (outcome !== 'edit') {
    expect(after.equals(before), 'unchanged on error').toBe(true);
    return;
  }
  // The SDK now reads the new key and everything else of the profile as before.
  expect(await sdkProfile(file, kind, profile)).toEqual({
    ...sdkBefore,
    aws_access_key_id: NEW.accessKeyId,
    aws_secret_access_key: NEW.secretAccessKey,
  });
  if (sdkBefore?.aws_access_key_id !== undefined && sdkBefore.aws_secret_access_key !== undefined) {
    // Swapping the two old values back gives the original bytes: nothing but those values changed.
    const restored = after
      .toString('latin1')
      .replace(
        Buffer.from(NEW.accessKeyId).toString('latin1'),
        Buffer.from(sdkBefore.aws_access_key_id).toString('latin1'),
      )
      .replace(
        Buffer.from(NEW.secretAccessKey).toString('latin1'),
        Buffer.from(sdkBefore.aws_secret_access_key).toString('latin1'),
      );
    expect(Buffer.from(restored, 'latin1').equals(before), 'only value bytes changed').toBe(true);
  } else {
    // Inserted lines only: the original bytes are a prefix and a suffix of the result.
    let prefix = 0;
    while (prefix < before.length && before[prefix] === after[prefix]) prefix += 1;
    expect(after.subarray(after.length - (before.length - prefix)).equals(before.subarray(prefix))).toBe(
      true,
    );
  }
}

describe('bad-input corpus (test/fixtures/shared-files)', () => {
  it('has at least 40 files, each with an expected outcome', async () => {
    const files = (await readdir(FIXTURES)).sort();
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(CASES).sort()).toEqual(files);
  });

  for (const [name, cases] of Object.entries(CASES)) {
    it(name, async () => {
      for (const c of cases) {
        await runCase(name, c);
        await rm(join(dir, name.endsWith('.config') ? 'config' : 'credentials'), { force: true });
      }
    });
  }
});

describe('cases made at test time', () => {
  it('a 50 MB file: the one profile is rewritten, every other byte kept', async () => {
    const file = join(dir, 'credentials');
    const block = (i: number) =>
      `[p${i}]\naws_access_key_id = AKIA${String(i).padStart(16, '0')}\naws_secret_access_key = ${'s'.repeat(40)}\nregion = us-east-1\n\n`;
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 50 * 1024 * 1024; i += 1) {
      parts.push(block(i));
      size += parts[i]?.length ?? 0;
    }
    const target = Math.floor(parts.length / 2);
    await writeFile(file, parts.join(''), { mode: 0o600 });
    await setProfileKey({ file, profile: `p${target}`, ...NEW });
    parts[target] =
      `[p${target}]\naws_access_key_id = ${NEW.accessKeyId}\naws_secret_access_key = ${NEW.secretAccessKey}\nregion = us-east-1\n\n`;
    expect((await readFile(file)).equals(Buffer.from(parts.join('')))).toBe(true);
  }, 180_000);

  const refusals: [string, ErrorCode, (file: string) => Promise<void>][] = [
    ['a directory where the file should be', 'FILE_INVALID', (file) => mkdir(file).then(() => undefined)],
    ['a FIFO where the file should be', 'FILE_INVALID', async (file) => void execFileSync('mkfifo', [file])],
    ['a dangling symlink', 'FILE_NOT_FOUND', (file) => symlink(join(dir, 'nowhere'), file)],
    [
      'a symlink loop',
      'FILE_UNREADABLE',
      async (file) => {
        await symlink(`${file}.b`, file);
        await symlink(file, `${file}.b`);
      },
    ],
  ];
  it.each(refusals)('%s is refused (%s) and left as it was', async (_name, code, make) => {
    const file = join(dir, 'credentials');
    await make(file);
    const entries = await readdir(dir);
    for (const create of [false, true]) {
      await expect(setProfileKey({ file, profile: 'default', create, ...NEW })).rejects.toMatchObject({
        code,
      });
    }
    expect(await readdir(dir)).toEqual(entries);
  });

  it('an unreadable file: EACCES injected through the fs port (tests run as root, where chmod 000 stops nothing)', async () => {
    const path = '/home/u/.aws/credentials';
    const original = '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\n';
    const { fs, vol, faults } = faultyFs({ [path]: original });
    faults.push({ op: 'open', path: /credentials$/, code: 'EACCES', always: true });
    await expect(
      setProfileKey({ file: path, profile: 'default', ...NEW }, { fs, lock: memoryLock }),
    ).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
    });
    expect(vol.readFileSync(path, 'utf8')).toBe(original);
    expect(vol.readdirSync('/home/u/.aws')).toEqual(['credentials']);
  });
});
