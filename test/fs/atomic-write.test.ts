import { describe, expect, it } from 'vitest';
import { syncDirectory, writeFileAtomic } from '../../src/fs/atomic-write.js';
import { faultyFs } from './faulty-fs.js';

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
