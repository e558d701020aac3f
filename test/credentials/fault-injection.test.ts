import { describe, expect, it } from 'vitest';
import { setProfileKey } from '../../src/credentials/edit.js';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';
import { type Fault, faultyFs } from '../fs/faulty-fs.js';

const FILE = '/home/u/.aws/credentials';
const ORIGINAL =
  '# keep\n[default]\naws_access_key_id = AKIAOLDOLDOLDOLD1111\naws_secret_access_key = oldsecret\n';
const NEW = {
  accessKeyId: 'AKIANEWNEWNEWNEW2222',
  secretAccessKey: 'newSecretnewSecretnewSecretnewSecret2222',
};

async function failingEdit(fault: Fault): Promise<{ error: KeyrotError; after: string; dir: string[] }> {
  const { fs, vol, faults } = faultyFs({ [FILE]: ORIGINAL });
  faults.push(fault);
  const error = await setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs }).then(
    () => {
      throw new Error('the edit should have failed');
    },
    (e: unknown) => e as KeyrotError,
  );
  expect(faults).toEqual([]); // the fault really fired
  return {
    error,
    after: vol.readFileSync(FILE, 'utf8') as string,
    dir: vol.readdirSync('/home/u/.aws') as string[],
  };
}

describe('a failure at any step leaves the original byte-identical and no temp file behind', () => {
  const cases: [string, Fault][] = [
    ['open of the temp file', { op: 'open', path: /\.tmp$/, code: 'EACCES' }],
    ['write', { op: 'write', path: /\.tmp$/, code: 'EIO' }],
    ['ENOSPC halfway through the write', { op: 'write', path: /\.tmp$/, code: 'ENOSPC', partial: 20 }],
    ['fsync of the temp file', { op: 'sync', path: /\.tmp$/, code: 'EIO' }],
    ['rename', { op: 'rename', path: /\.tmp$/, code: 'EIO' }],
    ['chmod', { op: 'chmod', code: 'EPERM', path: /\.tmp$/ }],
  ];
  it.each(cases)('%s', async (name, fault) => {
    if (name === 'chmod') {
      // chmod only runs for a file whose mode is not 0600; make it 0400.
      const { fs, vol, faults } = faultyFs({ [FILE]: ORIGINAL });
      vol.chmodSync(FILE, 0o400);
      faults.push(fault);
      await expect(setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs })).rejects.toMatchObject({
        code: 'FILE_WRITE_FAILED',
      });
      expect(vol.readFileSync(FILE, 'utf8')).toBe(ORIGINAL);
      expect(vol.readdirSync('/home/u/.aws')).toEqual(['credentials']);
      return;
    }
    const { error, after, dir } = await failingEdit(fault);
    expect(isKeyrotError(error, 'FILE_WRITE_FAILED')).toBe(true);
    expect(error.file).toBe(FILE);
    expect(error.message).not.toContain(NEW.secretAccessKey);
    if (fault.code === 'ENOSPC') expect(error.message).toContain('the disk is full');
    expect(after).toBe(ORIGINAL);
    expect(dir).toEqual(['credentials']); // no temp file, no lock file
  });

  it('an unreadable file (EACCES on read, as root cannot get from chmod 000) is FILE_UNREADABLE, untouched', async () => {
    const { error, after, dir } = await failingEdit({ op: 'open', path: /credentials$/, code: 'EACCES' });
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(after).toBe(ORIGINAL);
    expect(dir).toEqual(['credentials']);
  });
});

describe('compare-and-swap', () => {
  it('re-applies the edit when another program changes the file between read and rename, keeping its change', async () => {
    const { fs, vol } = faultyFs({ [FILE]: ORIGINAL });
    let opens = 0;
    const sneaky = {
      ...fs,
      // keyrot reads the file through an open handle, then opens it again right before the rename to check
      // it is unchanged: an editor saves a new profile just before that first re-check.
      async open(path: string, flags: string | number, mode?: number) {
        if (path === FILE && opens++ === 1)
          vol.writeFileSync(FILE, `${ORIGINAL}[added]\nregion = by-editor\n`);
        return fs.open(path, flags, mode);
      },
    };
    const result = await setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs: sneaky });
    expect(result.changed).toBe(true);
    expect(opens).toBe(4); // read, re-check (refused), read again, re-check (went through)
    expect(vol.readFileSync(FILE, 'utf8')).toBe(
      `# keep\n[default]\naws_access_key_id = ${NEW.accessKeyId}\naws_secret_access_key = ${NEW.secretAccessKey}\n[added]\nregion = by-editor\n`,
    );
  });

  it('gives up with FILE_CHANGED_CONCURRENTLY when the file changes before every rename, leaving it as the other program wrote it', async () => {
    const { fs, vol } = faultyFs({ [FILE]: ORIGINAL });
    let n = 0;
    const busy = {
      ...fs,
      async open(path: string, flags: string | number, mode?: number) {
        if (path === FILE) vol.writeFileSync(FILE, `${ORIGINAL}# edit ${++n}\n`);
        return fs.open(path, flags, mode);
      },
    };
    await expect(
      setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs: busy, maxAttempts: 3 }),
    ).rejects.toMatchObject({
      code: 'FILE_CHANGED_CONCURRENTLY',
    });
    expect(vol.readFileSync(FILE, 'utf8')).toBe(`${ORIGINAL}# edit ${n}\n`);
    expect(vol.readdirSync('/home/u/.aws')).toEqual(['credentials']);
  });

  it('merges back a writer that wrote into the replaced file after the rename (truncate-and-write tools)', async () => {
    const { fs, vol } = faultyFs({ [FILE]: ORIGINAL });
    let done = false;
    const racing = {
      ...fs,
      async rename(from: string, to: string) {
        // The AWS CLI opened the old file for writing before our rename and writes after it.
        const fd = done ? -1 : vol.openSync(FILE, 'r+');
        await fs.rename(from, to);
        if (!done) {
          done = true;
          const theirs = Buffer.from(`${ORIGINAL}[cli]\nregion = from-cli\n`);
          vol.ftruncateSync(fd, 0);
          vol.writeSync(fd, theirs, 0, theirs.length, 0);
          vol.closeSync(fd);
        }
      },
    };
    await setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs: racing });
    const after = vol.readFileSync(FILE, 'utf8') as string;
    expect(after).toContain('[cli]\nregion = from-cli\n');
    expect(after).toContain(`aws_access_key_id = ${NEW.accessKeyId}`);
  });
});
