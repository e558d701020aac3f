import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/keychain/backups.js';
import { FILE_BACKEND_WARNING, FileSecretStore } from '../../src/keychain/file-store.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'keyrot-filestore-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('FileSecretStore (opt-in)', () => {
  it('keeps entries in 0600 files inside a 0700 directory and warns once per use', async () => {
    const warnings: string[] = [];
    const store = new FileSecretStore(join(stateDir, 'keychain'), { warn: (m) => warnings.push(m) });
    expect(await store.get('h/x')).toBeNull();
    await store.set('h/x', 'value one');
    await store.set('h/x', 'value two');
    expect(await store.get('h/x')).toBe('value two');
    expect(warnings).toEqual([FILE_BACKEND_WARNING]);
    expect((await stat(join(stateDir, 'keychain'))).mode & 0o777).toBe(0o700);
    const files = await readdir(join(stateDir, 'keychain'));
    expect(files).toHaveLength(1);
    expect((await stat(join(stateDir, 'keychain', files[0]!))).mode & 0o777).toBe(0o600);
    expect(await store.delete('h/x')).toBe(true);
    expect(await store.delete('h/x')).toBe(false);
    expect(await readdir(join(stateDir, 'keychain'))).toEqual([]);
  });

  it('is used only when chosen, warns on every open, and holds backups like the OS keychain', async () => {
    const warnings: string[] = [];
    const open = () => openKeychain({ env: {}, backend: 'file', stateDir, warn: (m) => warnings.push(m) });
    const first = await open();
    expect(first.backend).toBe('file');
    expect(first.location).toBe(`plain files in ${join(stateDir, 'keychain')}`);
    const info = await new BackupStore(first.values).backup('x'.repeat(5000), {
      file: '/f',
      reason: 'manual',
    });
    const second = await open();
    expect((await new BackupStore(second.values).read(info.id)).content.toString()).toBe('x'.repeat(5000));
    expect(warnings).toEqual([FILE_BACKEND_WARNING, FILE_BACKEND_WARNING]);
  });
});
