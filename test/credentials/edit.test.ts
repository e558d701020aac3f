import { chown, lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { beforeEach, describe, expect, it } from 'vitest';
import { filesHoldingKey, replaceKeyId, setProfileKey } from '../../src/credentials/edit.js';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';
import { tempDir } from '../support/cleanup.js';
import { byteDiff, changedLines } from './support/byte-diff.js';

const OLD_ID = 'AKIAOLDOLDOLDOLD1111';
const OLD_SECRET = 'oldSecretoldSecretoldSecretoldSecret1111';
const NEW = {
  accessKeyId: 'AKIANEWNEWNEWNEW2222',
  secretAccessKey: 'newSecretnewSecretnewSecretnewSecret2222',
};

let dir: string;
beforeEach(async () => {
  dir = await tempDir('edit');
});

async function put(name: string, text: string | Buffer, mode = 0o600): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text, { mode });
  return file;
}

async function refusal(promise: Promise<unknown>): Promise<KeyrotError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isKeyrotError(error)).toBe(true);
  return error as KeyrotError;
}

const CRLF_FILE = [
  '\uFEFF# my keys ; keep me',
  '[default]',
  `aws_access_key_id   =\t${OLD_ID}   ; inline comment`,
  `aws_secret_access_key=${OLD_SECRET}`,
  'region = eu-west-1',
  '',
  '[other]',
  'aws_access_key_id = AKIAOTHEROTHEROTHER1',
  'aws_secret_access_key = otherSecret',
].join('\r\n');

describe('setProfileKey', () => {
  it('changes only the bytes of the two values, keeping BOM, CRLF, spacing, comments and no final newline', async () => {
    const file = await put('credentials', CRLF_FILE);
    const before = await readFile(file);
    const result = await setProfileKey({ file, profile: 'default', ...NEW });
    expect(result).toEqual({ file, profile: 'default', changed: true });
    const after = await readFile(file);
    expect(changedLines(before.toString(), after.toString())).toEqual([
      {
        line: 3,
        before: `aws_access_key_id   =\t${OLD_ID}   ; inline comment\r`,
        after: `aws_access_key_id   =\t${NEW.accessKeyId}   ; inline comment\r`,
      },
      {
        line: 4,
        before: `aws_secret_access_key=${OLD_SECRET}\r`,
        after: `aws_secret_access_key=${NEW.secretAccessKey}\r`,
      },
    ]);
    expect(after.length).toBe(before.length);
    const sdk = await loadSharedConfigFiles({
      filepath: file,
      configFilepath: join(dir, 'none'),
      ignoreCache: true,
    });
    expect(sdk.credentialsFile.default).toEqual({
      aws_access_key_id: NEW.accessKeyId,
      aws_secret_access_key: NEW.secretAccessKey,
      region: 'eu-west-1',
    });
  });

  it('edits the occurrence the SDK resolves: the last one of a repeated section', async () => {
    const text = `[a]\naws_access_key_id = ${OLD_ID}\n[b]\nx = 1\n[a]\naws_access_key_id = AKIALASTLASTLAST3333\naws_secret_access_key = s\n`;
    const file = await put('credentials', text);
    await setProfileKey({ file, profile: 'a', ...NEW });
    const after = await readFile(file, 'utf8');
    expect(after.split('\n')[1]).toBe(`aws_access_key_id = ${OLD_ID}`);
    expect(after.split('\n')[5]).toBe(`aws_access_key_id = ${NEW.accessKeyId}`);
  });

  it('edits [profile x] in the config file and leaves [x] and sub-sections alone', async () => {
    const text = `[x]\naws_access_key_id = ${OLD_ID}\n[profile x]\ns3 =\n  aws_access_key_id = nested\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = ${OLD_SECRET}\n`;
    const file = await put('config', text);
    await setProfileKey({ file, profile: 'x', kind: 'config', ...NEW });
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines[1]).toBe(`aws_access_key_id = ${OLD_ID}`);
    expect(lines[4]).toBe('  aws_access_key_id = nested');
    expect(lines[5]).toBe(`aws_access_key_id = ${NEW.accessKeyId}`);
  });

  it('refuses a missing profile, a profile without a static key and session credentials, naming file and line', async () => {
    const text = `[temp]\naws_access_key_id = ASIATEMPTEMPTEMP4444\naws_secret_access_key = ${OLD_SECRET}\naws_session_token = tok\n[role]\nrole_arn = arn:aws:iam::1:role/x\n[bare]\nregion = us-east-1\n`;
    const file = await put('credentials', text);
    const before = await readFile(file);
    const missing = await refusal(setProfileKey({ file, profile: 'nope', ...NEW }));
    expect([missing.code, missing.file]).toEqual(['PROFILE_NOT_FOUND', file]);
    const session = await refusal(setProfileKey({ file, profile: 'temp', ...NEW }));
    expect([session.code, session.file, session.line]).toEqual(['SESSION_CREDENTIALS', file, 4]);
    const bare = await refusal(setProfileKey({ file, profile: 'bare', ...NEW }));
    expect([bare.code, bare.line]).toEqual(['NO_STATIC_KEY', 7]);
    const role = await refusal(setProfileKey({ file, profile: 'role', ...NEW, create: true }));
    expect([role.code, role.line]).toEqual(['UNSUPPORTED_PROFILE', 6]);
    for (const error of [missing, session, bare, role]) {
      expect(`${error.message} ${error.hint}`).not.toContain(OLD_SECRET);
      expect(`${error.message} ${error.hint}`).not.toContain(NEW.secretAccessKey);
    }
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it('with create, inserts missing keys after the section in the file newline style, keeping all other bytes', async () => {
    const file = await put('credentials', '[default]\r\nregion = x\r\n; trailing comment\r\n[next]\r\nk = v');
    await setProfileKey({ file, profile: 'default', ...NEW, create: true });
    await setProfileKey({ file, profile: 'next', ...NEW, create: true });
    await setProfileKey({ file, profile: 'brand-new', ...NEW, create: true });
    expect(await readFile(file, 'utf8')).toBe(
      `[default]\r\nregion = x\r\naws_access_key_id = ${NEW.accessKeyId}\r\naws_secret_access_key = ${NEW.secretAccessKey}\r\n; trailing comment\r\n` +
        `[next]\r\nk = v\r\naws_access_key_id = ${NEW.accessKeyId}\r\naws_secret_access_key = ${NEW.secretAccessKey}` +
        `\r\n\r\n[brand-new]\r\naws_access_key_id = ${NEW.accessKeyId}\r\naws_secret_access_key = ${NEW.secretAccessKey}\r\n`,
    );
  });

  it('with create, makes ~/.aws (0700) and the file (0600); without it, a missing file is FILE_NOT_FOUND', async () => {
    const file = join(dir, 'home', '.aws', 'credentials');
    expect((await refusal(setProfileKey({ file, profile: 'default', ...NEW }))).code).toBe('FILE_NOT_FOUND');
    await setProfileKey({ file, profile: 'default', ...NEW, create: true });
    expect((await stat(join(dir, 'home', '.aws'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(
      `[default]\naws_access_key_id = ${NEW.accessKeyId}\naws_secret_access_key = ${NEW.secretAccessKey}\n`,
    );
  });

  it('reports changed: false and writes nothing when the profile already holds the key', async () => {
    const file = await put(
      'credentials',
      `[default]\naws_access_key_id = ${NEW.accessKeyId}\naws_secret_access_key = ${NEW.secretAccessKey}\n`,
    );
    const inode = (await stat(file)).ino;
    expect((await setProfileKey({ file, profile: 'default', ...NEW })).changed).toBe(false);
    expect((await stat(file)).ino).toBe(inode);
  });
});

describe('atomic write details', () => {
  it('replaces the real target of a symlink and keeps the symlink', async () => {
    await mkdir(join(dir, 'dotfiles'));
    const real = join(dir, 'dotfiles', 'credentials');
    await writeFile(
      real,
      `[default]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = ${OLD_SECRET}\n`,
      { mode: 0o600 },
    );
    const link = join(dir, 'credentials');
    await symlink('dotfiles/credentials', link);
    const result = await setProfileKey({ file: link, profile: 'default', ...NEW });
    expect(result.file).toBe(real);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('dotfiles/credentials');
    expect(await readFile(real, 'utf8')).toContain(NEW.accessKeyId);
  });

  it('tightens a group/world-readable file to 0600 and says so through warn', async () => {
    const file = await put(
      'credentials',
      `[default]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = s\n`,
      0o644,
    );
    const warnings: string[] = [];
    await setProfileKey({ file, profile: 'default', ...NEW }, { warn: (message) => warnings.push(message) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([`${file} was readable by others (mode 0644); keyrot wrote it back as 0600.`]);
  });

  it.runIf(process.getuid?.() === 0)('keeps the owner of a file edited as root', async () => {
    const file = await put(
      'credentials',
      `[default]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = s\n`,
    );
    await chown(file, 1234, 2345);
    await setProfileKey({ file, profile: 'default', ...NEW });
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([1234, 2345, 0o600]);
  });
});

describe('replaceKeyId', () => {
  it('replaces the key in every profile of both files that holds it, and only there', async () => {
    const credentials = await put(
      'credentials',
      `[default]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = ${OLD_SECRET}\n[copy]\naws_secret_access_key = ${OLD_SECRET}\naws_access_key_id=${OLD_ID}\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = ${OLD_SECRET}\n`,
    );
    const config = await put(
      'config',
      `[default]\nregion = x\n[profile ci]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = ${OLD_SECRET}\n[ci]\naws_access_key_id = ${OLD_ID}\n`,
    );
    const configBefore = await readFile(config, 'utf8');
    const paths = { credentialsFile: credentials, configFile: config };
    const files = await filesHoldingKey(paths, OLD_ID);
    expect(files).toEqual([
      { path: credentials, kind: 'credentials' },
      { path: config, kind: 'config' },
    ]);
    expect(await filesHoldingKey(paths, 'AKIAOTHEROTHEROTHER1')).toEqual([
      { path: credentials, kind: 'credentials' },
    ]);
    const result = await replaceKeyId(files, OLD_ID, NEW);
    expect(result).toEqual([
      { file: credentials, profiles: ['default', 'copy'] },
      { file: config, profiles: ['ci'] },
    ]);
    const sdk = await loadSharedConfigFiles({
      filepath: credentials,
      configFilepath: config,
      ignoreCache: true,
    });
    expect(sdk.credentialsFile.default).toEqual({
      aws_access_key_id: NEW.accessKeyId,
      aws_secret_access_key: NEW.secretAccessKey,
    });
    expect(sdk.credentialsFile.copy).toEqual({
      aws_access_key_id: NEW.accessKeyId,
      aws_secret_access_key: NEW.secretAccessKey,
    });
    expect(sdk.credentialsFile.other?.aws_secret_access_key).toBe(OLD_SECRET);
    expect(changedLines(configBefore, await readFile(config, 'utf8')).map((c) => c.line)).toEqual([4, 5]);
    // A second run finds nothing to do.
    expect(await replaceKeyId(files, OLD_ID, NEW)).toEqual([]);
    expect(await filesHoldingKey(paths, OLD_ID)).toEqual([]);
  });

  it('skips a missing config file and refuses a holder with a session token without writing', async () => {
    const text = `[t]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = x\naws_session_token = y\n`;
    const credentials = await put('credentials', text);
    const error = await refusal(
      replaceKeyId(
        [
          { path: credentials, kind: 'credentials' },
          { path: join(dir, 'none'), kind: 'config' },
        ],
        OLD_ID,
        NEW,
      ),
    );
    expect([error.code, error.line]).toEqual(['SESSION_CREDENTIALS', 4]);
    expect(await readFile(credentials, 'utf8')).toBe(text);
    const diff = byteDiff(Buffer.from(text), await readFile(credentials));
    expect(diff).toBeNull();
  });
});

describe('setProfileKey on a half-configured profile', () => {
  it('refuses a key id without a secret unless create, which inserts the secret line', async () => {
    const text = `[default]\r\naws_access_key_id = ${OLD_ID}\r\nregion = x\r\n`;
    const file = await put('credentials', text);
    const error = await refusal(setProfileKey({ file, profile: 'default', ...NEW }));
    expect([error.code, error.line]).toEqual(['NO_STATIC_KEY', 1]);
    expect(await readFile(file, 'utf8')).toBe(text);
    await setProfileKey({ file, profile: 'default', ...NEW, create: true });
    expect(await readFile(file, 'utf8')).toBe(
      `[default]\r\naws_access_key_id = ${NEW.accessKeyId}\r\nregion = x\r\naws_secret_access_key = ${NEW.secretAccessKey}\r\n`,
    );
  });
});

describe('event loop', () => {
  it('a loop of edits lets timers and I/O callbacks run (the default fs port yields while it works)', async () => {
    const file = await put(
      'credentials',
      `[default]\naws_access_key_id = ${OLD_ID}\naws_secret_access_key = s\n`,
    );
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 0);
    let edits = 0;
    while (!fired && edits < 1_000) {
      edits += 1;
      await setProfileKey({
        file,
        profile: 'default',
        accessKeyId: `AKIA${String(edits).padStart(16, '0')}`,
        secretAccessKey: 's',
      });
    }
    expect(fired).toBe(true);
    expect(edits).toBeLessThan(1_000);
  });
});
