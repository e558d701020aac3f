import { describe, expect, it } from 'vitest';
import { syncDirectory, writeFileAtomic } from '../../src/fs/atomic-write.js';
import { faultyFs } from './faulty-fs.js';
import { releaseAfter } from './file-worlds.js';

describe('writeFileAtomic', () => {
  it('ENOSPC leaves the old content and removes the partial temp file', async () => {
    const { fs, vol, faults } = faultyFs({ '/d/f': 'old' });
    faults.push({ op: 'write', code: 'ENOSPC', partial: 1 });
    await expect(writeFileAtomic('/d/f', 'new content', { fs })).rejects.toMatchObject({
      code: 'FILE_WRITE_FAILED',
    });
    expect(vol.readFileSync('/d/f', 'utf8')).toBe('old');
    expect(vol.readdirSync('/d')).toEqual(['f']);
  });

  it('creates a missing file 0600 in a new 0700 directory when asked to', async () => {
    const { fs, vol } = faultyFs({});
    await writeFileAtomic('/new/dir/f', 'x', { fs, create: true });
    expect(vol.readFileSync('/new/dir/f', 'utf8')).toBe('x');
    expect(vol.statSync('/new/dir/f').mode & 0o777).toBe(0o600);
    expect(vol.statSync('/new/dir').mode & 0o777).toBe(0o700);
  });
});

describe('syncDirectory (the directory fsync after a rename)', () => {
  it('a directory fsync refused under Windows rules (EPERM) leaves the write done', async () => {
    const { fs, vol } = faultyFs({ '/d/f': 'old' }, { rules: 'windows' });
    await expect(syncDirectory(fs, '/d')).resolves.toBeUndefined();
    await writeFileAtomic('/d/f', 'new', { fs });
    expect(vol.readFileSync('/d/f', 'utf8')).toBe('new');
  });

  for (const code of ['EINVAL', 'EPERM', 'EISDIR']) {
    it(`treats ${code} (Windows, some file systems) as done: the rename stands`, async () => {
      const { fs, vol, faults } = faultyFs({ '/d/f': 'old' });
      faults.push({ op: 'sync', path: /^\/d$/, code });
      await writeFileAtomic('/d/f', 'new', { fs });
      expect(vol.readFileSync('/d/f', 'utf8')).toBe('new');
    });
  }

  it('surfaces any other failure', async () => {
    const { fs, faults } = faultyFs({ '/d/f': 'old' });
    faults.push({ op: 'sync', path: /^\/d$/, code: 'EIO' });
    await expect(syncDirectory(fs, '/d')).rejects.toMatchObject({ code: 'EIO' });
  });

  it('treats a directory that cannot be opened for it (EISDIR on open, as Windows answers) as done', async () => {
    const { fs, faults } = faultyFs({ '/d/f': 'old' });
    faults.push({ op: 'open', path: /^\/d$/, code: 'EISDIR' });
    await expect(syncDirectory(fs, '/d')).resolves.toBeUndefined();
  });
});

describe('writeFileAtomic under Windows file rules', () => {
  it('waits for a program holding the file open to let go, then replaces it', async () => {
    const { fs, vol, hold, log } = faultyFs({ '/d/f': 'old' }, { rules: 'windows' });
    const release = hold('/d/f');
    const writing = writeFileAtomic('/d/f', 'new', { fs });
    await releaseAfter(release, 60);
    await writing;
    expect(vol.readFileSync('/d/f', 'utf8')).toBe('new');
    expect(vol.readdirSync('/d')).toEqual(['f']);
    // Refused at least once while held, then tried again.
    expect(log.filter((line) => line.startsWith('rename ')).length).toBeGreaterThan(1);
  });

  it('gives up after its bounded wait, leaving the file as it was and no temp file', async () => {
    const { fs, vol, hold } = faultyFs({ '/d/f': 'old' }, { rules: 'windows' });
    const release = hold('/d/f');
    const error = await writeFileAtomic('/d/f', 'new', { fs, busyRetryMs: 100 }).catch((e: unknown) => e);
    release();
    expect(error).toMatchObject({ code: 'FILE_WRITE_FAILED' });
    expect((error as Error).message).toContain('another program kept it open');
    expect(vol.readFileSync('/d/f', 'utf8')).toBe('old');
    expect(vol.readdirSync('/d')).toEqual(['f']);
  });

  it('runs the check before the rename again before each retry', async () => {
    const { fs, vol, hold } = faultyFs({ '/d/f': 'old' }, { rules: 'windows' });
    const release = hold('/d/f');
    let checks = 0;
    const writing = writeFileAtomic('/d/f', 'new', {
      fs,
      beforeRename: async () => {
        checks += 1;
      },
    });
    await releaseAfter(release, 60);
    await writing;
    expect(checks).toBeGreaterThan(1);
    expect(vol.readFileSync('/d/f', 'utf8')).toBe('new');
  });

  it('does not read the 0666 every file reports as "readable by others"', async () => {
    const { fs, vol } = faultyFs({ '/d/f': 'old' }, { rules: 'windows' });
    expect((await fs.stat('/d/f')).mode & 0o777).toBe(0o666);
    const warnings: string[] = [];
    await writeFileAtomic('/d/f', 'new', { fs, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(vol.readFileSync('/d/f', 'utf8')).toBe('new');
  });

  it('under POSIX rules the same EPERM is a real refusal: no retry', async () => {
    const { fs, faults, log } = faultyFs({ '/d/f': 'old' });
    faults.push({ op: 'rename', code: 'EPERM', always: true });
    await expect(writeFileAtomic('/d/f', 'new', { fs })).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED' });
    expect(log.filter((line) => line.startsWith('rename ')).length).toBe(1);
  });
});
