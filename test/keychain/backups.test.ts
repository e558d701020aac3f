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
  // Counts the holds of the keychain lock (the real one is a lock file: test/lock).
  const holds = { taken: 0 };
  const values = new ChunkedValueStore(store, {
    lock: async () => {
      holds.taken += 1;
      return async () => undefined;
    },
  });
  const clock = fakeClock();
  return { store, values, clock, holds, backups: new BackupStore(values, { keep, clock }) };
}

describe('BackupStore', () => {
  it('records time, file, size, SHA-256 and reason, and reads the exact bytes back', async () => {
    const { backups } = setup();
    // A BOM, CRLF and a Latin-1 byte that is not UTF-8: text decoding would change all three.
    const content = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('[default]\r\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\r\n# caf'),
      Buffer.from([0xe9]),
      Buffer.from('\r\n'),
    ]);
    const { reused, ...info } = await backups.backup(content, {
      file: '/home/a/.aws/credentials',
      reason: 'rotation of profile default',
    });
    expect(reused).toBe(false);
    expect(info).toEqual({
      id: '20261125T120000Z-' + info.id.slice(-4),
      createdAt: '2026-11-25T12:00:00.000Z',
      file: '/home/a/.aws/credentials',
      sha256: sha256Hex(content),
      size: content.length,
      reason: 'rotation of profile default',
    });
    expect(await backups.list()).toEqual([info]);
    const read = await backups.read(info.id);
    expect(read.info).toEqual(info);
    expect(read.content.equals(content)).toBe(true);
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
    await values.idle();
    for (const id of ids.slice(0, 2)) {
      const error = await backups.read(id).catch((e: unknown) => e);
      expect(isKeyrotError(error, 'BACKUP_NOT_FOUND')).toBe(true);
      expect([...store.entries.keys()].some((k) => k.includes(id))).toBe(false);
    }
    expect((await backups.read(ids[2]!)).content.toString()).toBe('generation 2\n');
    expect(await values.list('backup:')).toHaveLength(11);
  });

  it('takes a backup that prunes another, the pruned content deleted too, in one hold of the lock: 8 keychain calls, 4 of them writes', async () => {
    const { backups, clock, store, values, holds } = setup(1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(60 * 60 * 1000);
      store.calls.length = 0;
      holds.taken = 0;
      ids.push((await backups.backup(`generation ${i}\n`, { file: '/f', reason: 'manual' })).id);
      await values.idle();
    }
    expect(holds.taken).toBe(1);
    const name = (call: string) =>
      call.replace(ids[0]!, 'FIRST').replace(ids[1]!, 'SECOND').replace(ids[2]!, 'THIRD');
    expect(store.calls.map(name)).toEqual([
      // The catalog and the index, read together: the new content's name is not listed, so it has no
      // value and is not read. It is listed first; the first backup's name (pruned last time) goes in
      // the same index write once it is seen to have no value.
      'get h/backups',
      'get h/~index',
      'get h/backup:FIRST',
      'set h/~index',
      'set h/backup:THIRD',
      'set h/backups',
      // The second backup is pruned: its content goes next, in the same hold after the backup has
      // answered; its name with the next backup's index write.
      'get h/backup:SECOND',
      'delete h/backup:SECOND',
    ]);
    expect(await values.list('backup:')).toEqual([`backup:${ids[1]}`, `backup:${ids[2]}`]);
    expect((await backups.list()).map((b) => b.id)).toEqual([ids[2]]);
    expect((await backups.read(ids[2]!)).content.toString()).toBe('generation 2\n');
  });

  it('returns once the catalog is written: the pruned content is deleted after, and the store waits for it', async () => {
    const { backups, clock, store, values } = setup(1);
    const first = await backups.backup('generation 0\n', { file: '/f', reason: 'manual' });
    // The deletion of the first backup's content waits at a gate.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const deleteEntry = store.delete.bind(store);
    store.delete = async (account) => {
      if (account.includes(first.id)) await gate;
      return deleteEntry(account);
    };
    clock.advance(60_000);
    const second = await backups.backup('generation 1\n', { file: '/f', reason: 'manual' });
    expect((await backups.list()).map((b) => b.id)).toEqual([second.id]);
    expect(store.entries.has(`h/backup:${first.id}`)).toBe(true);
    let idle = false;
    const waiting = values.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    open();
    await waiting;
    expect(store.entries.has(`h/backup:${first.id}`)).toBe(false);
    expect((await backups.read(second.id)).content.toString()).toBe('generation 1\n');
  });

  it('leaves a pruned content whose deletion failed to a later backup, which sweeps it once it is an hour old', async () => {
    const { backups, clock, store, values } = setup(1);
    const first = await backups.backup('generation 0\n', { file: '/f', reason: 'manual' });
    store.injectError({ op: 'delete', account: `h/backup:${first.id}` });
    clock.advance(60_000);
    await backups.backup('generation 1\n', { file: '/f', reason: 'manual' });
    await values.idle();
    expect(store.entries.has(`h/backup:${first.id}`)).toBe(true);
    clock.advance(60 * 60 * 1000);
    const third = await backups.backup('generation 2\n', { file: '/f', reason: 'manual' });
    await values.idle();
    // The second backup, pruned by the third, stays listed (without a value) until the next index update.
    expect([...store.entries.keys()].filter((key) => key.startsWith('h/backup:'))).toEqual([
      `h/backup:${third.id}`,
    ]);
    expect(await values.list('backup:')).not.toContain(`backup:${first.id}`);
  });

  it('uses keep=10 by default', async () => {
    const { backups, clock } = setup();
    for (let i = 0; i < 12; i++) {
      clock.advance(1000);
      await backups.backup(`g${i}`, { file: '/f', reason: 'manual' });
    }
    expect(await backups.list()).toHaveLength(10);
  });

  it('stores no copy of the newest backup of a file: it is reused, and the catalog says when', async () => {
    const { backups, clock, values } = setup();
    const first = await backups.backup('same\n', { file: '/f', reason: 'rotation of profile p' });
    clock.advance(60_000);
    const again = await backups.backup(Buffer.from('same\n'), {
      file: '/f',
      reason: 'rotation of profile p',
    });
    expect(again).toMatchObject({ id: first.id, reused: true, reusedAt: '2026-11-25T12:01:00.000Z' });
    // Another file with the same bytes is its own backup.
    const other = await backups.backup('same\n', { file: '/g', reason: 'manual' });
    expect(other.reused).toBe(false);
    expect(await values.list('backup:')).toHaveLength(2);
    expect((await backups.list()).find((b) => b.id === first.id)?.reusedAt).toBe('2026-11-25T12:01:00.000Z');
  });

  it('counts distinct contents for backups_keep: two rotations, then four failed retries, keep the earlier ones', async () => {
    const { backups, clock } = setup(3);
    const file = '/home/a/.aws/credentials';
    const take = async (content: string) => {
      clock.advance(60_000);
      return backups.backup(content, { file, reason: 'rotation of profile p' });
    };
    const original = await take('key 0\n'); // rotation 1 backs up the original file
    const afterFirst = await take('key 1\n'); // rotation 2 backs up the file rotation 1 wrote
    const retried = await take('key 2\n'); // rotation 3 fails after its backup...
    for (let i = 0; i < 3; i++) expect((await take('key 2\n')).id).toBe(retried.id); // ...and its retries
    expect((await backups.list()).map((b) => b.id)).toEqual([retried.id, afterFirst.id, original.id]);
    expect((await backups.read(original.id)).content.toString()).toBe('key 0\n');
    // Content that returns (a restore, then a rotation) is kept once, as its newest backup.
    const back = await take('key 0\n');
    expect((await backups.list()).map((b) => b.id)).toEqual([back.id, retried.id, afterFirst.id]);
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

  it("reserves ahead the backups of files whose newest backup holds other bytes, and their names go with the intent's index write", async () => {
    const { backups, clock, store, values } = setup(1);
    const old = await backups.backup('credentials 0\n', { file: '/f/credentials', reason: 'manual' });
    await backups.backup('config 0\n', { file: '/f/config', reason: 'manual' });
    clock.advance(60_000);
    await backups.backup('credentials 1\n', { file: '/f/credentials', reason: 'manual' });
    await values.idle();
    // The first credentials backup was pruned: deleted, its name left listed.
    expect(await values.list('backup:')).toContain(`backup:${old.id}`);
    clock.advance(60 * 60 * 1000);
    const files = [
      { file: '/f/credentials', content: Buffer.from('credentials 2\n') },
      { file: '/f/config', content: Buffer.from('config 0\n') },
    ];
    const reserved = await backups.reserve(files);
    // The config file is unchanged since its newest backup: it is reused, so nothing is reserved for it.
    expect([...reserved.ids.keys()]).toEqual(['/f/credentials']);
    const id = reserved.ids.get('/f/credentials')!;
    expect(id).toMatch(/^20261125T130100Z-[0-9a-f]{4}$/);
    // The intent: its index update lists the reserved name and takes out the pruned one.
    await values.put('journal:k', 'intent', reserved.changes);
    expect(await values.list('backup:')).not.toContain(`backup:${old.id}`);
    expect(await values.list('backup:')).toContain(`backup:${id}`);
    store.calls.length = 0;
    const taken = [];
    for (const { file, content } of files)
      taken.push(await backups.backup(content, { file, reason: 'rotation', reserved }));
    expect(taken.map((info) => [info.id, info.reused])).toEqual([
      [id, false],
      [expect.any(String), true],
    ]);
    await values.idle();
    expect(store.calls.filter((call) => !call.startsWith('get '))).toEqual([
      // The credentials backup: no index write, no read of its reserved name.
      `set h/backup:${id}`,
      'set h/backups',
      // Its pruned predecessor's content, deleted after; the config backup, reused: the catalog says when.
      expect.stringMatching(/^delete h\/backup:/),
      'set h/backups',
    ]);
    expect(store.calls).not.toContain(`get h/backup:${id}`);
    expect(store.calls).not.toContain('set h/~index');
    expect((await backups.read(id)).content.toString()).toBe('credentials 2\n');
    expect((await backups.list()).map((b) => b.id)).toContain(id);
  });

  it('a reserved name another process took out before the backup is listed again by the backup', async () => {
    const { backups, clock, values } = setup();
    const reserved = await backups.reserve([{ file: '/f', content: Buffer.from('mine\n') }]);
    await values.put('journal:k', 'intent', reserved.changes);
    const id = reserved.ids.get('/f')!;
    // Another process's backup: its index update takes out listed backup names without a value.
    const theirs = new BackupStore(new ChunkedValueStore(values.store), { clock });
    await theirs.backup('theirs\n', { file: '/g', reason: 'manual' });
    expect(await values.list('backup:')).not.toContain(`backup:${id}`);
    const mine = await backups.backup('mine\n', { file: '/f', reason: 'rotation', reserved });
    expect(mine.id).toBe(id);
    expect(await values.list('backup:')).toContain(`backup:${id}`);
    expect((await backups.read(id)).content.toString()).toBe('mine\n');
  });

  it('a reserved name left without a backup (reused after all) reads as nothing, is not listed as a backup, and goes later', async () => {
    const { backups, clock, values } = setup();
    const first = await backups.backup('same\n', { file: '/f', reason: 'manual' });
    // Reserved for other bytes, then the file holds its old bytes again at the backup: reused.
    const reserved = await backups.reserve([{ file: '/f', content: Buffer.from('changed\n') }]);
    const id = reserved.ids.get('/f')!;
    await values.put('journal:k', 'intent', reserved.changes);
    const again = await backups.backup('same\n', { file: '/f', reason: 'rotation', reserved });
    expect(again).toMatchObject({ id: first.id, reused: true });
    expect(await values.get(`backup:${id}`)).toBeNull();
    expect((await backups.list()).map((b) => b.id)).toEqual([first.id]);
    const missing = await backups.read(id).catch((e: unknown) => e);
    expect(isKeyrotError(missing, 'BACKUP_NOT_FOUND')).toBe(true);
    // The next backup's index update takes it out.
    clock.advance(60_000);
    await backups.backup('next\n', { file: '/f', reason: 'manual' });
    expect(await values.list('backup:')).not.toContain(`backup:${id}`);
    // So does the next intent's (a reservation's changes).
    const leftover = (await backups.reserve([{ file: '/f', content: Buffer.from('x\n') }])).ids.get('/f')!;
    await values.put('journal:l', 'intent', { alsoList: [`backup:${leftover}`] });
    await values.put('journal:m', 'intent', (await backups.reserve([])).changes);
    expect(await values.list('backup:')).not.toContain(`backup:${leftover}`);
  });

  it('takes a new id when the reserved one is in the catalog already (a second backup with one reservation)', async () => {
    const { backups, clock, values } = setup();
    const reserved = await backups.reserve([{ file: '/f', content: Buffer.from('one\n') }]);
    await values.put('journal:k', 'intent', reserved.changes);
    const one = await backups.backup('one\n', { file: '/f', reason: 'rotation', reserved });
    clock.advance(60_000);
    const two = await backups.backup('two\n', { file: '/f', reason: 'rotation', reserved });
    expect(one.id).toBe(reserved.ids.get('/f'));
    expect(two.id).not.toBe(one.id);
    expect((await backups.read(one.id)).content.toString()).toBe('one\n');
    expect((await backups.read(two.id)).content.toString()).toBe('two\n');
  });
});
