import { describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import { sha256Hex } from '../../src/keychain/value-codec.js';
import type { Clock } from '../../src/time/clock.js';

function fakeClock(start = Date.UTC(2026, 10, 25, 12)): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => new Date(now),
    sleep: async () => undefined,
    advance: (ms) => {
      now += ms;
    },
  };
}

function setup(keep?: number) {
  const store = new MemorySecretStore();
  const values = new ChunkedValueStore(store);
  const clock = fakeClock();
  return { store, values, clock, backups: new BackupStore(values, { keep, clock }) };
}

describe('BackupStore', () => {
  it('records time, file, size, SHA-256 and reason, and reads the content back', async () => {
    const { backups } = setup();
    const content = '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n; café\n';
    const info = await backups.backup(content, {
      file: '/home/a/.aws/credentials',
      reason: 'rotation of profile default',
    });
    expect(info).toEqual({
      id: '20261125T120000Z-' + info.id.slice(-4),
      createdAt: '2026-11-25T12:00:00.000Z',
      file: '/home/a/.aws/credentials',
      sha256: sha256Hex(content),
      size: Buffer.byteLength(content),
      reason: 'rotation of profile default',
    });
    expect(await backups.list()).toEqual([info]);
    expect(await backups.read(info.id)).toEqual({ info, content });
    // A unique prefix of 4+ characters is enough.
    expect((await backups.read(info.id.slice(0, 17))).info.id).toBe(info.id);
  });

  it('keeps the 10 newest of 12 backups (per file) and deletes the content of the others', async () => {
    const { backups, clock, store, values } = setup(10);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      clock.advance(60_000);
      ids.push((await backups.backup(`generation ${i}\n`, { file: '/f/credentials', reason: 'manual' })).id);
    }
    await backups.backup('other file\n', { file: '/f/config', reason: 'manual' });
    const listed = await backups.list();
    expect(listed.filter((b) => b.file === '/f/credentials').map((b) => b.id)).toEqual(
      ids.slice(2).reverse(),
    );
    expect(listed.filter((b) => b.file === '/f/config')).toHaveLength(1);
    for (const id of ids.slice(0, 2)) {
      const error = await backups.read(id).catch((e: unknown) => e);
      expect(isKeyrotError(error, 'BACKUP_NOT_FOUND')).toBe(true);
      expect([...store.entries.keys()].some((k) => k.includes(id))).toBe(false);
    }
    expect((await backups.read(ids[2]!)).content).toBe('generation 2\n');
    expect(await values.list('backup:')).toHaveLength(11);
  });

  it('uses keep=10 by default', async () => {
    const { backups, clock } = setup();
    for (let i = 0; i < 12; i++) {
      clock.advance(1000);
      await backups.backup(`g${i}`, { file: '/f', reason: 'manual' });
    }
    expect(await backups.list()).toHaveLength(10);
  });

  it('says which id is unknown and refuses damaged content', async () => {
    const { backups, store } = setup();
    const info = await backups.backup('abc', { file: '/f', reason: 'manual' });
    const missing = await backups.read('nope').catch((e: unknown) => e);
    expect(isKeyrotError(missing, 'BACKUP_NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toBe('no backup with id "nope"');
    store.entries.delete(`h/backup:${info.id}`);
    const gone = await backups.read(info.id).catch((e: unknown) => e);
    expect(isKeyrotError(gone, 'KEYCHAIN_CORRUPT')).toBe(true);
  });

  it('a crash between storing content and cataloguing it leaves no listed backup; the orphan is swept later', async () => {
    const { backups, store, values, clock } = setup();
    // The catalog's first write fails: the content is already stored, the catalog never changes.
    store.injectError({ op: 'set', account: 'h/backups' });
    await expect(backups.backup('orphan', { file: '/f', reason: 'manual' })).rejects.toThrow();
    store.clearInjectedErrors();
    expect(await backups.list()).toEqual([]);
    expect(await values.list('backup:')).toHaveLength(1);
    clock.advance(2 * 60 * 60 * 1000);
    await backups.backup('next', { file: '/f', reason: 'manual' });
    expect(await values.list('backup:')).toHaveLength(1);
    expect((await backups.list()).map((b) => b.size)).toEqual([4]);
  });
});
