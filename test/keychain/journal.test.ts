import { describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { type JournalEntry, RotationJournal } from '../../src/keychain/journal.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import type { Clock } from '../../src/time/clock.js';

const OLD = 'AKIAOLDOLDOLDOLD1111';
const NEW = 'AKIANEWNEWNEWNEW2222';
const SECRET = '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';
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/team/bob';
const FILES = [{ path: '/home/a/.aws/credentials', kind: 'credentials' as const }];

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
  const journal = new RotationJournal(new ChunkedValueStore(store), {
    clock: fakeClock(),
    emptyRecord: null,
  });
  return {
    store,
    journal,
    reopen: () =>
      new RotationJournal(new ChunkedValueStore(store), { clock: fakeClock(), emptyRecord: null }),
  };
}

function intent(userArn = ALICE, oldKeyId = OLD, files = FILES) {
  return { userArn, oldKeyId, profile: 'dev', files, keysBefore: [oldKeyId] };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isKeyrotError(error) ? error.code : String(error)),
  );
}

describe('RotationJournal', () => {
  it('keeps a grace window (phase retiring) with its deadline and the use told of, for a new reader; refuses one without a new key', async () => {
    const { journal, reopen } = setup();
    const key = { userArn: ALICE, oldKeyId: OLD };
    await journal.begin(intent());
    expect(await codeOf(journal.openWindow(key, { rewrittenAt: 'a', retireAt: 'b' }))).toBe('INTERNAL');
    await journal.recordNewKey(key, NEW, SECRET);
    const window = { rewrittenAt: '2026-11-25T12:00:00.000Z', retireAt: '2026-11-25T14:00:00.000Z' };
    await journal.openWindow(key, window);
    expect(await reopen().find(NEW)).toMatchObject({ phase: 'retiring', newKeyId: NEW, ...window });
    await journal.recordUseSeen(key, '2026-11-25T13:00:00.000Z');
    expect(await reopen().get(key)).toMatchObject({
      phase: 'retiring',
      useSeenAt: '2026-11-25T13:00:00.000Z',
    });
    await journal.finish(key);
    expect(await reopen().survey()).toEqual({ entries: [], damaged: [] });
  });

  it('reads a retiring entry without its deadline as damaged', async () => {
    const { store, reopen } = setup();
    const values = new ChunkedValueStore(store);
    const journal = reopen();
    const key = { userArn: ALICE, oldKeyId: OLD };
    await journal.begin(intent());
    await journal.recordNewKey(key, NEW, SECRET);
    const [name] = await values.list('journal:');
    const entry = JSON.parse((await values.get(name!))!) as Record<string, unknown>;
    await values.put(name!, JSON.stringify({ ...entry, phase: 'retiring' }));
    expect(await codeOf(reopen().get(key))).toBe('KEYCHAIN_CORRUPT');
  });

  it('keeps a rotation from intent to new key, visible to a new reader at each step; finish removes it all', async () => {
    const { store, journal, reopen } = setup();
    const key = { userArn: ALICE, oldKeyId: OLD };
    await journal.begin(intent());
    expect(await reopen().get(key)).toMatchObject({
      profile: 'dev',
      oldKeyId: OLD,
      phase: 'intent',
      files: FILES,
    });
    await journal.recordNewKey(key, NEW, SECRET);
    const created = await reopen().get(key);
    expect(created).toMatchObject({ phase: 'created', newKeyId: NEW, newSecret: SECRET, userArn: ALICE });
    expect(created!.updatedAt > created!.startedAt).toBe(true);
    expect(await reopen().pending()).toHaveLength(1);

    await journal.finish(key);
    expect(await reopen().get(key)).toBeNull();
    expect(await reopen().pending()).toEqual([]);
    // Nothing of the entry (and so of the secret) is left in the keychain: no entry of its own.
    expect([...store.entries.values()].join('\n')).not.toContain(SECRET);
    expect([...store.entries.keys()].filter((k) => k.includes('journal'))).toEqual([]);
  });

  it("leaves a finished entry's name listed until the next entry's first write unlists it, never a live entry's", async () => {
    const { store, journal } = setup();
    const values = new ChunkedValueStore(store);
    const alice = { userArn: ALICE, oldKeyId: OLD };
    const bob = { userArn: BOB, oldKeyId: 'AKIABOBBOBBOBBOB3333' };
    await journal.begin(intent());
    await journal.recordNewKey(alice, NEW, SECRET);
    await journal.finish(alice);
    const [finished] = await values.list('journal:');
    expect(finished).toContain(OLD);
    expect(await journal.find(OLD)).toBeNull();
    // Another process's rotation of another user is under way: its entry must stay listed.
    await new RotationJournal(values, { emptyRecord: null }).begin(intent(BOB, bob.oldKeyId));
    await journal.begin(intent(ALICE, NEW));
    const names = await values.list('journal:');
    expect(names).toHaveLength(2);
    expect(names.some((name) => name.includes(OLD))).toBe(false);
    expect(await journal.find(bob.oldKeyId)).toMatchObject({ userArn: BOB, phase: 'intent' });
    expect(await journal.find(NEW)).toMatchObject({ userArn: ALICE, phase: 'intent' });
  });

  it('reads an entry only to read its writes back: one rotation is 8 keychain calls, 4 of them writes', async () => {
    const { store, journal } = setup();
    const key = { userArn: ALICE, oldKeyId: OLD };
    await journal.begin(intent());
    await journal.recordNewKey(key, NEW, SECRET);
    await journal.finish(key);
    const ops = store.calls.map((call) => call.replace(/journal:\S+/, 'J'));
    expect(ops).toEqual([
      // begin: is there an entry already? The index, under the keychain's lock, does not list it, so
      // there is none and it is not read. The index lists the name; the intent; its read-back.
      'get h/~index',
      'set h/~index',
      'set h/J',
      'get h/J',
      // recordNewKey: the new key, read back.
      'set h/J',
      'get h/J',
      // finish: the entry goes (its name stays listed); the read-back finds nothing.
      'delete h/J',
      'get h/J',
    ]);
  });

  it('finds the rotation that concerns a key, by its old or its new key, and no other', async () => {
    const { journal, reopen } = setup();
    await journal.begin(intent(ALICE, OLD));
    await journal.recordNewKey({ userArn: ALICE, oldKeyId: OLD }, NEW, SECRET);
    await journal.begin(
      intent(BOB, 'AKIABOBBOBBOBBOB3333', [{ path: '/other/credentials', kind: 'credentials' }]),
    );
    const fresh = reopen();
    expect(await fresh.find(OLD)).toMatchObject({ userArn: ALICE, oldKeyId: OLD });
    expect(await fresh.find(NEW)).toMatchObject({ userArn: ALICE, oldKeyId: OLD });
    expect(await fresh.find('AKIABOBBOBBOBBOB3333')).toMatchObject({ userArn: BOB });
    expect(await fresh.find('AKIAUNRELATED0000000')).toBeNull();
  });

  it('keys entries by user and old key: the same key id of two users (two endpoints) are two entries', async () => {
    const { journal } = setup();
    await journal.begin(intent(ALICE));
    await journal.begin(intent(BOB));
    await journal.recordNewKey({ userArn: BOB, oldKeyId: OLD }, NEW, SECRET);
    const pending = await journal.pending();
    expect(pending.map((e) => e.userArn)).toEqual([ALICE, BOB]);
    expect(await journal.get({ userArn: ALICE, oldKeyId: OLD })).toMatchObject({ phase: 'intent' });
  });

  it('adds the files of a resuming run once each', async () => {
    const { journal, reopen } = setup();
    const key = { userArn: ALICE, oldKeyId: OLD };
    await journal.begin(intent());
    await journal.addFiles(key, [...FILES, { path: '/home/a/.aws/config', kind: 'config' }]);
    expect((await reopen().get(key))!.files).toEqual([
      ...FILES,
      { path: '/home/a/.aws/config', kind: 'config' },
    ]);
  });

  it('refuses to restart a rotation that holds a new key, or to replace its new key', async () => {
    const { journal } = setup();
    const key = { userArn: ALICE, oldKeyId: OLD };
    await journal.begin(intent());
    // Restarting an intent-only entry is harmless: nothing was created yet.
    await journal.begin(intent());
    await journal.recordNewKey(key, NEW, SECRET);
    expect(await codeOf(journal.begin(intent()))).toBe('ROTATION_FAILED');
    expect(await codeOf(journal.recordNewKey(key, 'AKIAOTHEROTHEROTHER3', 'x'))).toBe('INTERNAL');
    expect(await codeOf(journal.recordNewKey({ userArn: BOB, oldKeyId: OLD }, NEW, SECRET))).toBe('INTERNAL');
    expect((await journal.get(key))!.newSecret).toBe(SECRET);
  });

  it('a crash at any write of recordNewKey leaves the intent or the whole new key, never a torn entry', async () => {
    const key = { userArn: ALICE, oldKeyId: OLD };
    let sawCreated = false;
    for (let crashAt = 0; ; crashAt++) {
      const { store, journal, reopen } = setup();
      await journal.begin(intent());
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await journal.recordNewKey(key, NEW, SECRET).then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      const entry = await reopen().find(OLD);
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
    const key = { userArn: ALICE, oldKeyId: OLD };
    for (let crashAt = 0; ; crashAt++) {
      const { store, journal, reopen } = setup();
      await journal.begin(intent());
      await journal.recordNewKey(key, NEW, SECRET);
      store.injectError({ op: 'write', skip: crashAt });
      const crashed = await journal.finish(key).then(
        () => false,
        () => true,
      );
      store.clearInjectedErrors();
      const entry = await reopen().find(NEW);
      if (entry) expect(entry).toMatchObject({ newKeyId: NEW, newSecret: SECRET });
      expect(await reopen().pending()).toHaveLength(entry ? 1 : 0);
      // Finishing again completes the clean-up.
      await reopen().finish(key);
      expect([...store.entries.keys()].filter((k) => k.includes('journal'))).toEqual([]);
      if (!crashed) break;
    }
  });

  it('fails the write rather than return when the keychain does not keep it', async () => {
    const { store, journal } = setup();
    store.injectError({ op: 'set', account: /journal/ });
    expect(await codeOf(journal.begin(intent()))).toMatch(/injected failure/);
    expect(await journal.find(OLD)).toBeNull();
  });

  it("reports a damaged entry of the run's key, names its key, and lets other keys' runs through", async () => {
    const { store, journal, reopen } = setup();
    await journal.begin(intent(ALICE, 'AKIAGOODGOODGOOD5555'));
    await journal.begin(intent(BOB, OLD));
    await journal.recordNewKey({ userArn: BOB, oldKeyId: OLD }, NEW, SECRET);
    // Another program rewrites the data of Bob's entry (small entries live inline in their head).
    const name = [...store.entries.keys()].find((k) => k.startsWith(`h/journal:${OLD}:`))!;
    const head = JSON.parse(store.entries.get(name)!) as { cur: { d: string } };
    head.cur.d = 'AAAA';
    store.entries.set(name, JSON.stringify(head));
    const error = await reopen()
      .pending()
      .catch((e: unknown) => e);
    expect(isKeyrotError(error, 'KEYCHAIN_CORRUPT')).toBe(true);
    expect((error as Error).message).toBe('the rotation journal of AKIA…1111 is damaged');
    expect(await codeOf(reopen().find(OLD))).toBe('KEYCHAIN_CORRUPT');
    expect(await reopen().find('AKIAGOODGOODGOOD5555')).toMatchObject({ phase: 'intent' });
    expect(await reopen().find('AKIAUNRELATED0000000')).toBeNull();
    expect(await reopen().survey()).toMatchObject({
      entries: [{ oldKeyId: 'AKIAGOODGOODGOOD5555' }],
      damaged: [{ oldKeyId: OLD }],
    });
  });

  it('reports an entry that is valid JSON of the wrong shape, or filed under another name', async () => {
    const good: JournalEntry = {
      ...intent(),
      phase: 'intent',
      startedAt: '2026-11-25T12:00:00.000Z',
      updatedAt: '2026-11-25T12:00:00.000Z',
    };
    const misfiled = new ChunkedValueStore(new MemorySecretStore());
    await misfiled.put(`journal:${OLD}:0000000000000000`, JSON.stringify(good));
    expect(await codeOf(new RotationJournal(misfiled, { emptyRecord: null }).find(OLD))).toBe(
      'KEYCHAIN_CORRUPT',
    );
    // A "created" entry without its new key is no entry keyrot wrote.
    const { journal, store } = setup();
    await journal.begin(intent());
    const name = [...store.entries.keys()].find((k) => k.startsWith('h/journal:'))!.slice(2);
    await new ChunkedValueStore(store).put(name, JSON.stringify({ ...good, phase: 'created' }));
    expect(
      await codeOf(new RotationJournal(new ChunkedValueStore(store), { emptyRecord: null }).pending()),
    ).toBe('KEYCHAIN_CORRUPT');
  });
});
