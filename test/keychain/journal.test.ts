import { describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import type { Clock } from '../../src/time/clock.js';

const OLD = 'AKIAOLDOLDOLDOLD1111';
const NEW = 'AKIANEWNEWNEWNEW2222';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYNEWSECRET1';

function fakeClock(start = Date.UTC(2026, 10, 25, 12)): Clock {
  let now = start;
  const tick = (): Date => {
    now += 1000;
    return new Date(now);
  };
  return { now: tick, sleep: async () => undefined };
}

function setup() {
  const store = new MemorySecretStore();
  const journal = new RotationJournal(new ChunkedValueStore(store), { clock: fakeClock() });
  return {
    store,
    journal,
    reopen: () => new RotationJournal(new ChunkedValueStore(store), { clock: fakeClock() }),
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isKeyrotError(error) ? error.code : String(error)),
  );
}

describe('RotationJournal', () => {
  it('walks a rotation through every phase, visible to a new reader at each step, and finish removes it', async () => {
    const { store, journal, reopen } = setup();
    await journal.begin('dev', OLD, { userArn: 'arn:aws:iam::123456789012:user/alice' });
    expect(await reopen().get('dev')).toMatchObject({ profile: 'dev', oldKeyId: OLD, phase: 'intent' });
    await journal.recordNewKey('dev', NEW, SECRET);
    expect(await reopen().get('dev')).toMatchObject({ phase: 'created', newKeyId: NEW, newSecret: SECRET });
    await journal.advance('dev', 'proven');
    await journal.advance('dev', 'backed-up', { backupId: '20261125T120000Z-abcd' });
    await journal.advance('dev', 'written');
    await journal.advance('dev', 'retired');
    const last = await reopen().get('dev');
    expect(last).toMatchObject({
      phase: 'retired',
      backupId: '20261125T120000Z-abcd',
      userArn: 'arn:aws:iam::123456789012:user/alice',
    });
    expect(last!.updatedAt > last!.startedAt).toBe(true);
    expect(await reopen().pending()).toHaveLength(1);

    await journal.finish('dev');
    expect(await reopen().get('dev')).toBeNull();
    expect(await reopen().pending()).toEqual([]);
    // The entry (and the secret in it) is gone from the backend; the index keeps the name for next time.
    expect([...store.entries.keys()]).toEqual(['h/~index']);
    // Nothing of the entry (and so of the secret) is left in the keychain.
    expect([...store.entries.keys()].filter((k) => k.includes('journal'))).toEqual([]);
  });

  it('lists every pending rotation, oldest first, with odd profile names', async () => {
    const { journal } = setup();
    await journal.begin('prod/eu west', OLD);
    await journal.begin('default', OLD);
    await journal.recordNewKey('default', NEW, SECRET);
    const pending = await journal.pending();
    expect(pending.map((e) => e.profile)).toEqual(['prod/eu west', 'default']);
  });

  it('refuses to restart a rotation that holds a new key, and to lose or rewind anything', async () => {
    const { journal } = setup();
    await journal.begin('dev', OLD);
    // Restarting an intent-only entry is harmless: nothing was created yet.
    await journal.begin('dev', OLD);
    await journal.recordNewKey('dev', NEW, SECRET);
    expect(await codeOf(journal.begin('dev', OLD))).toBe('ROTATION_FAILED');
    expect(await codeOf(journal.recordNewKey('dev', 'AKIAOTHEROTHEROTHER3', 'x'))).toBe('INTERNAL');
    await journal.advance('dev', 'written');
    expect(await codeOf(journal.advance('dev', 'proven'))).toBe('INTERNAL');
    expect(await codeOf(journal.advance('nobody', 'proven'))).toBe('INTERNAL');
    const { journal: fresh } = setup();
    await fresh.begin('x', OLD);
    expect(await codeOf(fresh.advance('x', 'proven'))).toBe('INTERNAL');
    expect((await journal.get('dev'))!.newSecret).toBe(SECRET);
  });

  it('a crash at any write of recordNewKey leaves the intent or the whole new key, never a torn entry', async () => {
    let sawCreated = false;
    for (let crashAt = 0; ; crashAt++) {
      const { store, journal, reopen } = setup();
      await journal.begin('dev', OLD);
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await journal.recordNewKey('dev', NEW, SECRET).then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      const entry = await reopen().get('dev');
      expect(entry).not.toBeNull();
      if (entry!.phase === 'created') {
        sawCreated = true;
        expect(entry).toMatchObject({ newKeyId: NEW, newSecret: SECRET });
      } else {
        expect(entry).toMatchObject({ phase: 'intent', oldKeyId: OLD });
        expect(entry!.newKeyId).toBeUndefined();
      }
      expect(await reopen().pending()).toHaveLength(1);
      if (!crashed) break;
    }
    expect(sawCreated).toBe(true);
  });

  it('a crash at any write of finish leaves the whole entry or none', async () => {
    for (let crashAt = 0; ; crashAt++) {
      const { store, journal, reopen } = setup();
      await journal.begin('dev', OLD);
      await journal.recordNewKey('dev', NEW, SECRET);
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await journal.finish('dev').then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      const entry = await reopen().get('dev');
      if (entry) expect(entry).toMatchObject({ newKeyId: NEW, newSecret: SECRET });
      expect(await reopen().pending()).toHaveLength(entry ? 1 : 0);
      // Finishing again completes the clean-up.
      await reopen().finish('dev');
      expect([...store.entries.keys()].filter((k) => k.includes('journal'))).toEqual([]);
      if (!crashed) break;
    }
  });

  it('fails the write rather than return when the keychain does not keep it', async () => {
    const { store, journal } = setup();
    store.injectError({ op: 'set', account: /journal/ });
    expect(await codeOf(journal.begin('dev', OLD))).toMatch(/injected failure/);
    expect(await journal.get('dev')).toBeNull();
  });

  it('reports a damaged entry by profile instead of dropping it', async () => {
    const { store, journal, reopen } = setup();
    await journal.begin('good', OLD);
    await journal.begin('bad', OLD);
    await journal.recordNewKey('bad', NEW, SECRET);
    // Another program rewrites the data of the "bad" entry (small entries live inline in their head).
    const head = JSON.parse(store.entries.get('h/journal:bad')!) as { cur: { d: string } };
    head.cur.d = 'AAAA';
    store.entries.set('h/journal:bad', JSON.stringify(head));
    const error = await reopen()
      .pending()
      .catch((e: unknown) => e);
    expect(isKeyrotError(error, 'KEYCHAIN_CORRUPT')).toBe(true);
    expect((error as Error).message).toBe('the rotation journal of profile "bad" is damaged');
    expect(await codeOf(reopen().get('bad'))).toBe('KEYCHAIN_CORRUPT');
    expect(await reopen().get('good')).toMatchObject({ phase: 'intent' });
  });

  it('reports an entry that is valid JSON of the wrong shape', async () => {
    const { journal } = setup();
    const values = new ChunkedValueStore(new MemorySecretStore());
    const other = new RotationJournal(values);
    await values.put('journal:dev', JSON.stringify({ profile: 'dev', phase: 'created', oldKeyId: OLD }));
    expect(await codeOf(other.get('dev'))).toBe('KEYCHAIN_CORRUPT');
    expect(await codeOf(other.pending())).toBe('KEYCHAIN_CORRUPT');
    expect(await journal.pending()).toEqual([]);
  });
});
