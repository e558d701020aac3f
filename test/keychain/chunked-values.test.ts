import { createHash, randomBytes } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { ChunkedValueStore, MAX_ENTRY_CHARS } from '../../src/keychain/chunked-values.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';

/** A string of exactly `bytes` UTF-8 bytes that brotli barely shrinks (base64 of random bytes). */
function randomText(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4) + 3)
    .toString('base64')
    .slice(0, bytes);
}

/** The live chunk generation of a value, read from its head entry. */
function genOf(store: MemorySecretStore, name: string): string {
  return (JSON.parse(store.entries.get(`h/${name}`)!) as { cur: { gen: string } }).cur.gen;
}

async function expectCorrupt(promise: Promise<unknown>, text: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKeyrotError(error, 'KEYCHAIN_CORRUPT')).toBe(true);
  expect((error as Error).message).toMatch(text);
}

describe('ChunkedValueStore', () => {
  it.each([0, 1, 2559, 2561, 1_000_000])(
    'round-trips %i bytes with every entry within the Windows cap',
    async (n) => {
      const store = new MemorySecretStore();
      const values = new ChunkedValueStore(store);
      const value = randomText(n);
      await values.put('v', value);
      expect(await values.get('v')).toBe(value);
      for (const entry of store.entries.values()) {
        expect(entry.length).toBeLessThanOrEqual(MAX_ENTRY_CHARS);
        // keyring-rs stores UTF-16 on Windows: 2 bytes a character, cap 2,560 bytes.
        expect(Buffer.byteLength(entry, 'utf16le')).toBeLessThanOrEqual(2000);
      }
      if (n === 1_000_000) expect(store.entries.size).toBeGreaterThan(1000);
    },
  );

  it('round-trips text with BOM, CRLF and non-ASCII characters, and compresses repetitive text', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    const value = `\uFEFF[default]\r\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\r\n; café ☕ 🔑\r\n`.repeat(
      500,
    );
    await values.put('text', value);
    expect(await values.get('text')).toBe(value);
    const stored = [...store.entries.values()].reduce((sum, e) => sum + e.length, 0);
    expect(stored).toBeLessThan(value.length / 10);
  });

  it('stores a value that fits in its head entry as it is, and reads one an earlier keyrot compressed', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    const small = 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n'.repeat(10);
    await values.put('small', small);
    const head = JSON.parse(store.entries.get('h/small')!) as { cur: { z: string; n: number; d: string } };
    expect(head.cur).toMatchObject({ z: 'raw', n: 0 });
    expect(Buffer.from(head.cur.d, 'base64').toString('utf8')).toBe(small);
    expect(await values.get('small')).toBe(small);
    // The layout keyrot wrote before: the same value brotli-compressed in the head entry.
    const compressed = brotliCompressSync(Buffer.from(small));
    expect(compressed.length).toBeLessThan(small.length);
    const sha256 = createHash('sha256').update(small).digest('hex');
    store.entries.set(
      'h/old',
      JSON.stringify({
        v: 1,
        cur: { gen: 'inline', n: 0, z: 'br', size: small.length, sha256, d: compressed.toString('base64') },
      }),
    );
    expect(await new ChunkedValueStore(store).get('old')).toBe(small);
  });

  it('returns null for a missing value and lists names through the index', async () => {
    const values = new ChunkedValueStore(new MemorySecretStore());
    expect(await values.get('nothing')).toBeNull();
    await Promise.all(['b:2', 'a:1', 'b:1'].map((name) => values.put(name, name)));
    expect(await values.list()).toEqual(['a:1', 'b:1', 'b:2']);
    expect(await values.list('b:')).toEqual(['b:1', 'b:2']);
    expect(await values.delete('b:1')).toBe(true);
    expect(await values.delete('b:1')).toBe(false);
    expect(await values.list()).toEqual(['a:1', 'b:2']);
  });

  it('keeps a deleted name listed when asked, and writing it again then leaves the index alone', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('journal:p', 'one');
    expect(await values.delete('journal:p', { keepListed: true })).toBe(true);
    expect(await values.get('journal:p')).toBeNull();
    expect(await values.list()).toEqual(['journal:p']);
    const index = await store.get('h/~index');
    await values.put('journal:p', 'two');
    await values.delete('journal:p', { keepListed: true });
    expect(await store.get('h/~index')).toBe(index);
  });

  it('leaves no entries behind after overwrite and delete', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('v', randomText(5000));
    await values.put('v', randomText(3000));
    await values.delete('v');
    // Only the (now empty) index remains.
    expect([...store.entries.keys()].filter((k) => !k.includes('~index'))).toEqual([]);
  });

  it('reports a damaged chunk, a missing chunk and a damaged head as KEYCHAIN_CORRUPT, never wrong data', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('v', randomText(2561));
    const chunk = `c/v/${genOf(store, 'v')}/1`;
    const original = store.entries.get(chunk)!;
    // Flip one base64 character in the middle of the second chunk.
    const at = 100;
    store.entries.set(
      chunk,
      original.slice(0, at) + (original[at] === 'A' ? 'B' : 'A') + original.slice(at + 1),
    );
    await expectCorrupt(values.get('v'), /"v" is corrupt: chunk 2 of \d+ fails its checksum/);
    store.entries.delete(chunk);
    await expectCorrupt(values.get('v'), /chunk 2 of \d+ is missing/);
    store.entries.set(chunk, original);
    expect(await values.get('v')).not.toBeNull();
    store.entries.set('h/v', '{"v":1,"cur":');
    await expectCorrupt(values.get('v'), /head entry is unreadable/);
  });

  it('catches damage the per-chunk check cannot see through the SHA-256 of the whole value', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('v', randomText(2561));
    await values.put('w', randomText(2561));
    // A well-formed chunk from another value, with a valid per-chunk checksum.
    store.entries.set(`c/v/${genOf(store, 'v')}/0`, store.entries.get(`c/w/${genOf(store, 'w')}/0`)!);
    await expectCorrupt(values.get('v'), /SHA-256 checksum does not match/);
  });

  it('survives a crash at every write of an overwrite: old or new value, never a mix, no leaked chunks later', async () => {
    const before = randomText(4000);
    const after = randomText(6000);
    let outcomes = { old: 0, new: 0 };
    for (let crashAt = 0; ; crashAt++) {
      const store = new MemorySecretStore();
      await new ChunkedValueStore(store).put('v', before);
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await new ChunkedValueStore(store).put('v', after).then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      // A new process reads what is there.
      const reader = new ChunkedValueStore(store);
      const seen = await reader.get('v');
      expect([before, after]).toContain(seen);
      outcomes =
        seen === before ? { ...outcomes, old: outcomes.old + 1 } : { ...outcomes, new: outcomes.new + 1 };
      expect(await reader.list()).toEqual(['v']);
      // The next write cleans up whatever the crash left: exactly the new value's entries remain.
      const third = randomText(10);
      await reader.put('v', third);
      const clean = new MemorySecretStore();
      await new ChunkedValueStore(clean).put('v', third);
      expect(store.entries.size).toBe(clean.entries.size);
      if (!crashed) break;
    }
    expect(outcomes.old).toBeGreaterThan(5);
    expect(outcomes.new).toBeGreaterThan(0);
  });

  it('lists a new name before any entry of it is written: a hold that read the index skips unlisted names, yet a crash leaks nothing', async () => {
    for (let crashAt = 0; ; crashAt++) {
      const store = new MemorySecretStore();
      await new ChunkedValueStore(store).put('other', 'x');
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await new ChunkedValueStore(store).put('v', randomText(4000)).then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      // The next process reads the index first, as a backup and a journal intent do, then writes the name.
      const reader = new ChunkedValueStore(store);
      await reader.locked(async (values) => {
        const listed = (await values.list()).includes('v');
        const value = await values.get('v');
        // Unlisted means nothing of it was written: not even the head a chunked write records first.
        if (!listed) expect(value).toBeNull();
        await values.put('v', 'small');
      });
      expect(await reader.get('v')).toBe('small');
      const clean = new MemorySecretStore();
      await new ChunkedValueStore(clean).put('other', 'x');
      await new ChunkedValueStore(clean).put('v', 'small');
      expect([...store.entries.keys()].sort()).toEqual([...clean.entries.keys()].sort());
      if (!crashed) break;
    }
  });

  it('reads no head of a name the index read in the same hold does not list', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('listed', 'one');
    store.calls.length = 0;
    await values.locked(async (held) => {
      await held.list();
      expect(await held.get('never-written')).toBeNull();
      expect(await held.get('listed')).toBe('one');
    });
    expect(store.calls).toEqual(['get h/~index', 'get h/listed']);
  });

  it('survives a crash at every step of a delete: the value is either whole or gone', async () => {
    const value = randomText(3000);
    for (let crashAt = 0; ; crashAt++) {
      const store = new MemorySecretStore();
      await new ChunkedValueStore(store).put('v', value);
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await new ChunkedValueStore(store).delete('v').then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      const reader = new ChunkedValueStore(store);
      expect([value, null]).toContain(await reader.get('v'));
      await reader.delete('v');
      expect([...store.entries.keys()].filter((k) => !k.includes('~index'))).toEqual([]);
      if (!crashed) break;
    }
  });

  it('keeps a small value inline in its head entry: few round trips, damage still caught', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('journal:dev', 'x'.repeat(300));
    // Only the value's head and the index's head exist: no chunk entries.
    expect([...store.entries.keys()].sort()).toEqual(['h/journal:dev', 'h/~index']);
    store.calls.length = 0;
    await values.put('journal:dev', 'y'.repeat(300));
    // Already listed: one read of the head, one of the index, one write of the head.
    expect(store.calls.filter((call) => call.startsWith('set') || call.startsWith('delete'))).toHaveLength(1);
    expect(await values.get('journal:dev')).toBe('y'.repeat(300));

    const head = JSON.parse(store.entries.get('h/journal:dev')!) as { cur: { d: string } };
    head.cur.d = Buffer.from('z'.repeat(300)).toString('base64');
    store.entries.set('h/journal:dev', JSON.stringify(head));
    await expectCorrupt(values.get('journal:dev'), /SHA-256/);
  });

  it('moves a value between inline and chunked storage without leaving entries behind', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    const big = randomText(5000);
    await values.put('v', 'small');
    await values.put('v', big);
    expect(await values.get('v')).toBe(big);
    await values.put('v', 'small again');
    expect(await values.get('v')).toBe('small again');
    expect([...store.entries.keys()].sort()).toEqual(['h/v', 'h/~index']);
    await values.delete('v');
    expect([...store.entries.keys()]).toEqual(['h/~index']);
  });

  it('passes backend errors through unchanged', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    const boom = new Error('backend down');
    store.injectError({ op: 'get', error: boom });
    await expect(values.get('v')).rejects.toBe(boom);
  });

  it('reads the index once per hold of the lock, and afresh at the next: names another process listed meanwhile are kept', async () => {
    const store = new MemorySecretStore();
    // Two stores on one keychain: this process and another one, serialised by one lock as in production.
    let held: Promise<void> = Promise.resolve();
    const lock = async () => {
      const before = held;
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      await before;
      return async () => release();
    };
    const ours = new ChunkedValueStore(store, { lock });
    const theirs = new ChunkedValueStore(store, { lock });
    await ours.put('a:1', 'one');
    const indexReads = () => store.calls.filter((call) => call === 'get h/~index').length;

    const readsBefore = indexReads();
    await ours.locked(async (values) => {
      await values.put('a:2', 'two');
      await values.put('a:3', 'three');
      expect(await values.list('a:')).toEqual(['a:1', 'a:2', 'a:3']);
    });
    expect(indexReads() - readsBefore).toBe(1);

    // The other process lists a name between two of our holds; our next hold must not write an index
    // remembered from the last one, which would drop it.
    await theirs.put('b:1', 'theirs');
    await ours.locked(async (values) => {
      await values.put('a:4', 'four');
    });
    await ours.put('a:5', 'five');
    expect(await theirs.list()).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'b:1']);
    expect(await ours.get('b:1')).toBe('theirs');
  });

  it('leaves the index alone when writing over a value, and reads a version handed in instead of the head', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    const first = await values.put('journal:k', 'one');
    store.calls.length = 0;
    await values.put('journal:k', 'two');
    expect(store.calls).toEqual(['get h/journal:k', 'set h/journal:k']);
    store.calls.length = 0;
    const { version } = await values.getVersioned('journal:k');
    store.calls.length = 0;
    await values.put('journal:k', 'three', { replaces: version });
    expect(store.calls).toEqual(['set h/journal:k']);
    expect(await values.get('journal:k')).toBe('three');
    // A version of another name is no version of this one: the head is read.
    store.calls.length = 0;
    await values.put('journal:k', 'four', { replaces: first && { ...first, name: 'journal:x' } });
    expect(store.calls).toEqual(['get h/journal:k', 'set h/journal:k']);
  });

  it('unlists names deleted with keepListed at the next index update, never a name that has a value', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    const other = new ChunkedValueStore(store);
    await values.put('j:1', 'done');
    await values.put('j:2', 'live');
    await values.delete('j:1', { keepListed: true });
    // Another process wrote j:2 again meanwhile: it still has a value, so it stays listed.
    await other.put('j:2', 'live again');
    await values.put('j:3', 'new', { unlistIfAbsent: (name) => name.startsWith('j:') });
    expect(await values.list()).toEqual(['j:2', 'j:3']);
    expect(await values.get('j:2')).toBe('live again');
    // No index update, no unlisting: a write over a listed name leaves the index as it is.
    await values.delete('j:3', { keepListed: true });
    const index = store.entries.get('h/~index');
    await values.put('j:2', 'again', { unlistIfAbsent: () => true });
    expect(store.entries.get('h/~index')).toBe(index);
    expect(await values.list()).toEqual(['j:2', 'j:3']);
  });

  it('lists fresh names ahead with an index update made anyway: their first writes then read nothing and write no index', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('j:1', 'done');
    await values.delete('j:1', { keepListed: true });
    store.calls.length = 0;
    await values.put('j:2', 'intent', {
      alsoList: ['b:1', 'b:2'],
      unlistIfAbsent: (name) => name.startsWith('j:'),
    });
    expect(store.calls).toEqual(['get h/j:2', 'get h/~index', 'get h/j:1', 'set h/~index', 'set h/j:2']);
    expect(await values.list()).toEqual(['b:1', 'b:2', 'j:2']);
    // Listed ahead, not yet written: reads as nothing.
    expect(await values.get('b:1')).toBeNull();
    store.calls.length = 0;
    await values.put('b:1', 'small', { fresh: true });
    await values.put('b:2', randomText(4000), { fresh: true });
    expect(store.calls.filter((call) => call.includes('~index'))).toEqual(['get h/~index', 'get h/~index']);
    expect(store.calls.filter((call) => /^get h\/b:/.test(call))).toEqual([]);
    expect(await values.get('b:1')).toBe('small');
    expect((await values.get('b:2'))?.length).toBe(4000);
    expect(await values.list()).toEqual(['b:1', 'b:2', 'j:2']);
  });

  it('lists nothing ahead when the write makes no index update: a fresh name then lists itself', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('j:1', 'intent');
    await values.put('j:1', 'again', { alsoList: ['b:1'] });
    expect(await values.list()).toEqual(['j:1']);
    store.calls.length = 0;
    await values.put('b:1', 'backup', { fresh: true });
    expect(store.calls).toEqual(['get h/~index', 'set h/~index', 'set h/b:1']);
    expect(await values.list()).toEqual(['b:1', 'j:1']);
    expect(await values.get('b:1')).toBe('backup');
  });

  it('lists a fresh name again when another process took it out (listed, no head) before its first write', async () => {
    const store = new MemorySecretStore();
    const ours = new ChunkedValueStore(store);
    const theirs = new ChunkedValueStore(store);
    await ours.put('j:1', 'intent', { alsoList: ['b:1'] });
    await theirs.put('b:9', 'theirs', { unlistIfAbsent: (name) => name.startsWith('b:') });
    expect(await theirs.list()).toEqual(['b:9', 'j:1']);
    await ours.locked(async (held) => {
      await held.list();
      await held.put('b:1', 'ours', { fresh: true });
    });
    expect(await theirs.list()).toEqual(['b:1', 'b:9', 'j:1']);
    expect(await theirs.get('b:1')).toBe('ours');
  });

  it('a name listed ahead and never written reads as nothing and goes with a later index update', async () => {
    const store = new MemorySecretStore();
    const values = new ChunkedValueStore(store);
    await values.put('j:1', 'intent', { alsoList: ['b:1'] });
    expect(await values.get('b:1')).toBeNull();
    await values.put('b:2', 'next', { unlistIfAbsent: (name) => name.startsWith('b:') });
    expect(await values.list()).toEqual(['b:2', 'j:1']);
    expect([...store.entries.keys()].filter((key) => key.includes('b:1'))).toEqual([]);
  });

  it('survives a crash at every write of a listing ahead and the fresh writes: every value is listed, nothing leaks', async () => {
    const big = randomText(4000);
    for (let crashAt = 0; ; crashAt++) {
      const store = new MemorySecretStore();
      await new ChunkedValueStore(store).put('other', 'x');
      store.injectError({ op: 'write', skip: crashAt });
      const run = new ChunkedValueStore(store);
      const crashed = await (async () => {
        await run.put('j:1', 'intent', { alsoList: ['b:1', 'b:2'] });
        await run.put('b:1', 'small', { fresh: true });
        await run.put('b:2', big, { fresh: true });
      })().then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      // What the crash left: a head entry only under a listed name, each value whole or absent.
      const reader = new ChunkedValueStore(store);
      const listed = await reader.list();
      const heads = [...store.entries.keys()].filter((key) => /^h\/[^~]/.test(key)).map((k) => k.slice(2));
      for (const name of heads) expect(listed, `crash at write ${crashAt}`).toContain(name);
      expect(['small', null]).toContain(await reader.get('b:1'));
      expect([big, null]).toContain(await reader.get('b:2'));
      // The next run's index update takes out what was listed ahead and never written, then deleting
      // the values leaves only the index and the untouched value.
      for (const name of ['j:1', 'b:1', 'b:2']) await reader.delete(name, { keepListed: true });
      await reader.put('j:2', 'next', { unlistIfAbsent: (name) => name !== 'other' });
      await reader.delete('j:2');
      expect(await reader.list(), `crash at write ${crashAt}`).toEqual(['other']);
      expect([...store.entries.keys()].sort()).toEqual(['h/other', 'h/~index']);
      if (!crashed) break;
    }
  });
});
