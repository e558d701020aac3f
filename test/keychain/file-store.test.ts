import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/keychain/backups.js';
import { FILE_BACKEND_WARNING, FileSecretStore } from '../../src/keychain/file-store.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { FILE_WORLDS, type FileWorld, releaseAfter } from '../fs/file-worlds.js';
import { tempDir } from '../support/cleanup.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await tempDir('filestore');
});

describe.each(FILE_WORLDS)('FileSecretStore (opt-in) under %s', (_name, makeWorld) => {
  let world: FileWorld;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it('keeps entries in 0600 files inside a 0700 directory and warns once per use', async () => {
    const warnings: string[] = [];
    const dir = join(world.root, 'keychain');
    const store = new FileSecretStore(dir, { warn: (m) => warnings.push(m), fs: world.fs });
    expect(await store.get('h/x')).toBeNull();
    await store.set('h/x', 'value one');
    await store.set('h/x', 'value two');
    expect(await store.get('h/x')).toBe('value two');
    expect(warnings).toEqual([FILE_BACKEND_WARNING]);
    const files = world.list(dir);
    expect(files).toHaveLength(1);
    if (world.rules === 'posix') {
      expect(world.mode(dir)).toBe(0o700);
      expect(world.mode(join(dir, files[0] as string))).toBe(0o600);
    }
    expect(await store.delete('h/x')).toBe(true);
    expect(await store.delete('h/x')).toBe(false);
    expect(world.list(dir)).toEqual([]);
  });

  it('replaces and removes an entry another program holds open for a moment', async () => {
    const dir = join(world.root, 'keychain');
    const store = new FileSecretStore(dir, { warn: () => {}, fs: world.fs });
    await store.set('journal', 'first');
    const file = join(dir, world.list(dir)[0] as string);
    let release = world.hold(file);
    const setting = store.set('journal', 'second');
    await releaseAfter(release, 60);
    await setting;
    expect(await store.get('journal')).toBe('second');
    release = world.hold(file);
    const deleting = store.delete('journal');
    await releaseAfter(release, 60);
    expect(await deleting).toBe(true);
    expect(world.list(dir)).toEqual([]);
  });
});

describe('FileSecretStore (opt-in)', () => {
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
