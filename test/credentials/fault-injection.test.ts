// The credentials engine under failures and other writers, run under POSIX and under Windows file rules
// (test/fs/faulty-fs.ts): the same promises (the original intact on failure, no edit of anyone lost)
// must hold under both.
import { describe, expect, it } from 'vitest';
import { setProfileKey } from '../../src/credentials/edit.js';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';
import type { FileRules } from '../../src/fs/fs-port.js';
import { type Fault, faultyFs, memoryLock } from '../fs/faulty-fs.js';
import { releaseAfter } from '../fs/file-worlds.js';

const FILE = '/home/u/.aws/credentials';
const ORIGINAL =
  '# keep\n[default]\naws_access_key_id = AKIAOLDOLDOLDOLD1111\naws_secret_access_key = oldsecret\n';
const NEW = {
  accessKeyId: 'AKIANEWNEWNEWNEW2222',
  secretAccessKey: 'newSecretnewSecretnewSecretnewSecret2222',
};

const RULES: FileRules[] = ['posix', 'windows'];

describe.each(RULES)('under %s file rules', (rules) => {
  async function failingEdit(fault: Fault): Promise<{ error: KeyrotError; after: string; dir: string[] }> {
    const { fs, vol, faults } = faultyFs({ [FILE]: ORIGINAL }, { rules });
    faults.push(fault);
    const error = await setProfileKey(
      { file: FILE, profile: 'default', ...NEW },
      { fs, lock: memoryLock },
    ).then(
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
        const { fs, vol, faults, log } = faultyFs({ [FILE]: ORIGINAL }, { rules });
        vol.chmodSync(FILE, 0o400);
        faults.push(fault);
        if (rules === 'windows') {
          // Modes are not permissions there: keyrot never chmods, so nothing can fail on it.
          await setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs, lock: memoryLock });
          expect(log.some((line) => line.startsWith('chmod '))).toBe(false);
          expect(vol.readFileSync(FILE, 'utf8')).toContain(NEW.accessKeyId);
          return;
        }
        await expect(
          setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs, lock: memoryLock }),
        ).rejects.toMatchObject({
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
      const { fs, vol } = faultyFs({ [FILE]: ORIGINAL }, { rules });
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
      const result = await setProfileKey(
        { file: FILE, profile: 'default', ...NEW },
        { fs: sneaky, lock: memoryLock },
      );
      expect(result.changed).toBe(true);
      expect(opens).toBe(4); // read, re-check (refused), read again, re-check (went through)
      expect(vol.readFileSync(FILE, 'utf8')).toBe(
        `# keep\n[default]\naws_access_key_id = ${NEW.accessKeyId}\naws_secret_access_key = ${NEW.secretAccessKey}\n[added]\nregion = by-editor\n`,
      );
    });

    it('gives up with FILE_CHANGED_CONCURRENTLY when the file changes before every rename, leaving it as the other program wrote it', async () => {
      const { fs, vol } = faultyFs({ [FILE]: ORIGINAL }, { rules });
      let n = 0;
      const busy = {
        ...fs,
        async open(path: string, flags: string | number, mode?: number) {
          if (path === FILE) vol.writeFileSync(FILE, `${ORIGINAL}# edit ${++n}\n`);
          return fs.open(path, flags, mode);
        },
      };
      await expect(
        setProfileKey(
          { file: FILE, profile: 'default', ...NEW },
          { fs: busy, lock: memoryLock, maxAttempts: 3 },
        ),
      ).rejects.toMatchObject({
        code: 'FILE_CHANGED_CONCURRENTLY',
      });
      expect(vol.readFileSync(FILE, 'utf8')).toBe(`${ORIGINAL}# edit ${n}\n`);
      expect(vol.readdirSync('/home/u/.aws')).toEqual(['credentials']);
    });

    it('keeps the edit of a writer that had the file open at the rename (truncate-and-write tools)', async () => {
      const { fs, vol, hold } = faultyFs({ [FILE]: ORIGINAL }, { rules });
      const theirs = Buffer.from(`${ORIGINAL}[cli]\nregion = from-cli\n`);
      let done = false;
      const racing = {
        ...fs,
        async rename(from: string, to: string) {
          if (done) return fs.rename(from, to);
          done = true;
          // The AWS CLI opened the old file for writing before our rename.
          const fd = vol.openSync(FILE, 'r+');
          const writeTheirs = () => {
            vol.ftruncateSync(fd, 0);
            vol.writeSync(fd, theirs, 0, theirs.length, 0);
            vol.closeSync(fd);
          };
          if (rules === 'posix') {
            // POSIX: our rename goes through; the CLI then writes into the inode we just replaced.
            await fs.rename(from, to);
            writeTheirs();
            return;
          }
          // Windows: its open handle refuses our rename until it has written and closed the file.
          const release = hold(FILE);
          const refused = await fs.rename(from, to).catch((error: unknown) => error);
          expect(refused).toMatchObject({ code: 'EPERM' });
          setTimeout(() => {
            writeTheirs();
            release();
          }, 30);
          throw refused;
        },
      };
      await setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs: racing, lock: memoryLock });
      const after = vol.readFileSync(FILE, 'utf8') as string;
      expect(after).toContain('[cli]\nregion = from-cli\n');
      expect(after).toContain(`aws_access_key_id = ${NEW.accessKeyId}`);
      expect(vol.readdirSync('/home/u/.aws')).toEqual(['credentials']);
    });

    it('rewrites a file another program (the AWS CLI, an antivirus scan) holds open for a moment', async () => {
      const { fs, vol, hold } = faultyFs({ [FILE]: ORIGINAL }, { rules });
      const release = hold(FILE);
      const editing = setProfileKey({ file: FILE, profile: 'default', ...NEW }, { fs, lock: memoryLock });
      await releaseAfter(release, 60);
      expect((await editing).changed).toBe(true);
      expect(vol.readFileSync(FILE, 'utf8')).toContain(`aws_secret_access_key = ${NEW.secretAccessKey}`);
      expect(vol.readdirSync('/home/u/.aws')).toEqual(['credentials']);
    });
  });
});
