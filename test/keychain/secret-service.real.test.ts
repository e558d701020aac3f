// The Linux Secret Service backend against the session's real gnome-keyring: round trips, and items
// that @napi-rs/keyring (keyrot's earlier backend, still used on macOS and Windows) and secret-tool read
// and write interchangeably with it, so existing backups and journals stay readable.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterEach, expect, it } from 'vitest';
import { ChunkedValueStore, LARGE_ENTRY_CHARS } from '../../src/keychain/chunked-values.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { sessionBusSocket } from '../../src/keychain/secret-service/bus-address.js';
import { BusConnection, type MethodCall } from '../../src/keychain/secret-service/bus-connection.js';
import { DbusErrorReply } from '../../src/keychain/secret-service/dbus-errors.js';
import { SecretServiceStore } from '../../src/keychain/secret-service/store.js';
import { TRACE_CHANNEL } from '../../src/time/trace.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const describeReal = describeWith('secretService');

const opened: SecretServiceStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** A store on a keychain service name of this test alone. */
function freshStore(): SecretServiceStore {
  const store = new SecretServiceStore(`keyrot-test-${randomBytes(4).toString('hex')}`);
  opened.push(store);
  return store;
}

/** Exactly `chars` characters that brotli barely shrinks. */
function randomText(chars: number): string {
  return randomBytes(Math.ceil((chars * 3) / 4) + 3)
    .toString('base64')
    .slice(0, chars);
}

/** keyring-rs's entry, as keyrot used it before (and still does on macOS and Windows). */
function napiEntry(service: string, account: string): AsyncEntry {
  return new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
}

/** `secret-tool lookup service S username U` — an independent reader (libsecret); null when absent. */
function lookup(service: string, account: string): string | null {
  try {
    return execFileSync('secret-tool', ['lookup', 'service', service, 'username', account], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
}

/** Modification times of gnome-keyring's files (scripts/test-session.sh): it rewrites one on every change. */
function keyringFileTimes(): string {
  const dir = process.env.KEYROT_TEST_KEYRING_DIR ?? join(homedir(), '.local', 'share', 'keyrings');
  return readdirSync(dir)
    .map((name) => `${name}@${statSync(join(dir, name)).mtimeMs}`)
    .join(' ');
}

describeReal('Secret Service backend on the real gnome-keyring', () => {
  it('opens the keychain without writing to the keyring (no probe entry), and a write does change it', async () => {
    const store = freshStore();
    // Make sure the keyring file exists, then look at it before and after opening.
    await store.set('warm-up', 'x');
    await store.delete('warm-up');
    const before = keyringFileTimes();
    expect(before).toMatch(/\.keyring@/);
    const stateDir = await tempDir('open');
    const keychain = await openKeychain({ env: {}, stateDir, store });
    expect(keyringFileTimes()).toBe(before);
    await keychain.values.put('value', 'written');
    expect(keyringFileTimes()).not.toBe(before);
  });

  it.each([
    ['1 byte', 'x'],
    ['text beyond ASCII', 'ünïcødé ✓ 🔑\nline two\ttab'],
    ['64 Ki characters (one full entry)', randomText(LARGE_ENTRY_CHARS)],
  ])('round-trips %s', async (_name, value) => {
    const store = freshStore();
    await store.set('entry', value);
    expect(await store.get('entry')).toBe(value);
    // A second store (its own connection and session) reads the same.
    const other = new SecretServiceStore(store.service);
    opened.push(other);
    expect(await other.get('entry')).toBe(value);
  });

  it('round-trips 1,000,000 characters through ChunkedValueStore in 64 Ki-character entries', async () => {
    const store = freshStore();
    const values = new ChunkedValueStore(store);
    const value = randomText(1_000_000);
    await values.put('big', value);
    const head = JSON.parse((await store.get('h/big'))!) as { cur: { n: number; gen: string } };
    expect(head.cur.n).toBeGreaterThan(10);
    expect((await store.get(`c/big/${head.cur.gen}/0`))!.length).toBe(LARGE_ENTRY_CHARS);
    expect(await new ChunkedValueStore(new SecretServiceStore(store.service)).get('big')).toBe(value);
    // A big keyring slows every later write of every suite sharing it: leave nothing behind.
    expect(await values.delete('big')).toBe(true);
    expect(await store.get(`c/big/${head.cur.gen}/0`)).toBeNull();
  });

  it('replaces a value, and delete says whether there was one', async () => {
    const store = freshStore();
    await store.set('journal', 'first');
    await store.set('journal', 'second');
    expect(await store.get('journal')).toBe('second');
    expect(await store.delete('journal')).toBe(true);
    expect(await store.delete('journal')).toBe(false);
    expect(await store.get('journal')).toBeNull();
    expect(await store.get('never-written')).toBeNull();
  });

  it('writes items that @napi-rs/keyring and secret-tool read, and deletes them for both', async () => {
    const store = freshStore();
    const value = `{"profile":"work","ünï":"${randomText(300)}"}`;
    await store.set('h/journal:work', value);
    expect(await napiEntry(store.service, 'h/journal:work').getPassword()).toBe(value);
    expect(lookup(store.service, 'h/journal:work')).toBe(value);
    expect(await store.delete('h/journal:work')).toBe(true);
    expect(await napiEntry(store.service, 'h/journal:work').getPassword()).toBeNull();
    expect(lookup(store.service, 'h/journal:work')).toBeNull();
  });

  it('reads, replaces and deletes what @napi-rs/keyring and secret-tool stored', async () => {
    const store = freshStore();
    await napiEntry(store.service, 'from-napi').setPassword('written by keyring-rs ✓');
    execFileSync(
      'secret-tool',
      ['store', '--label', 'x', 'service', store.service, 'username', 'from-tool'],
      {
        input: 'written by secret-tool',
      },
    );
    expect(await store.get('from-napi')).toBe('written by keyring-rs ✓');
    expect(await store.get('from-tool')).toBe('written by secret-tool');
    // Replacing keeps one item: the older library still finds exactly one (it refuses ambiguous ones).
    await store.set('from-napi', 'replaced');
    expect(await napiEntry(store.service, 'from-napi').getPassword()).toBe('replaced');
    expect(await store.delete('from-napi')).toBe(true);
    expect(await store.delete('from-tool')).toBe(true);
    expect(lookup(store.service, 'from-tool')).toBeNull();
  });

  it('keeps the order of calls on one account when they are issued together', async () => {
    const store = freshStore();
    const results = await Promise.all([
      store.set('x', '1'),
      store.get('x'),
      store.set('x', '2'),
      store.get('x'),
      store.delete('x'),
      store.get('x'),
      store.delete('x'),
    ]);
    expect(results).toEqual([undefined, '1', undefined, '2', true, null, false]);
  });

  it('serves 30 accounts written and read concurrently on its one connection', async () => {
    const store = freshStore();
    const accounts = Array.from({ length: 30 }, (_, i) => `a${i}`);
    await Promise.all(accounts.map((account) => store.set(account, `value of ${account}`)));
    expect(await Promise.all(accounts.map((account) => store.get(account)))).toEqual(
      accounts.map((account) => `value of ${account}`),
    );
    expect(await Promise.all(accounts.map((account) => store.delete(account)))).toEqual(
      accounts.map(() => true),
    );
  });

  it('answers calls pipelined on a fresh connection in order, an error reply in the middle failing that call alone', async () => {
    const store = freshStore();
    await store.set('entry', 'value');
    // Written together with the authentication and Hello, before the bus has answered anything.
    const bus = await BusConnection.open(sessionBusSocket(process.env)!, 5_000);
    const call = (path: string, iface: string, member: string, signature: string, body: unknown[]) => {
      const message: MethodCall = {
        destination: 'org.freedesktop.secrets',
        path,
        interface: iface,
        member,
        signature,
        body,
      };
      return bus.call(message, 5_000);
    };
    try {
      const [alias, missing, found] = await Promise.allSettled([
        call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'ReadAlias', 's', ['default']),
        call(
          '/org/freedesktop/secrets/collection/login/999999',
          'org.freedesktop.Secret.Item',
          'GetSecret',
          'o',
          ['/'],
        ),
        call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'SearchItems', 'a{ss}', [
          [
            ['service', store.service],
            ['username', 'entry'],
          ],
        ]),
      ]);
      expect(alias).toMatchObject({
        status: 'fulfilled',
        value: [expect.stringMatching(/^\/org\/freedesktop\/secrets\/collection\//)],
      });
      expect(missing).toMatchObject({ status: 'rejected', reason: expect.any(DbusErrorReply) });
      expect(found).toMatchObject({ status: 'fulfilled', value: [[expect.any(String)], []] });
      expect(bus.open).toBe(true);
    } finally {
      bus.close();
    }
    expect(await store.delete('entry')).toBe(true);
  });

  it('checks that the default keyring is unlocked in one round trip: Locked asked at its alias path beside ReadAlias', async () => {
    const store = freshStore();
    const spans: { name: string; start: number; end: number }[] = [];
    const listen = (span: unknown) => spans.push(span as (typeof spans)[number]);
    channel(TRACE_CHANNEL).subscribe(listen);
    try {
      await store.checkWritable();
    } finally {
      channel(TRACE_CHANNEL).unsubscribe(listen);
    }
    const calls = spans
      .filter((span) => span.name.startsWith('D-Bus ') && span.name !== 'D-Bus connect')
      .sort((a, b) => a.start - b.start);
    expect(calls.map((span) => span.name)).toEqual([
      'D-Bus Hello',
      'D-Bus OpenSession',
      'D-Bus ReadAlias',
      'D-Bus Get',
    ]);
    // Every call was made before the first answer came.
    const firstAnswer = Math.min(...calls.map((span) => span.end));
    for (const span of calls) expect(span.start).toBeLessThan(firstAnswer);
  });

  it('reads an item it wrote or found with its secret asked right behind the search, not after it', async () => {
    const store = freshStore();
    await store.set('index', 'one');
    const spans: { name: string; start: number; end: number }[] = [];
    const listen = (span: unknown) => spans.push(span as (typeof spans)[number]);
    channel(TRACE_CHANNEL).subscribe(listen);
    try {
      expect(await store.get('index')).toBe('one');
    } finally {
      channel(TRACE_CHANNEL).unsubscribe(listen);
    }
    const search = spans.find((span) => span.name === 'D-Bus SearchItems')!;
    const secret = spans.find((span) => span.name === 'D-Bus GetSecret')!;
    expect(secret.start).toBeLessThan(search.end);
  });

  it('never takes the item it knew for the account unless the search names it: deleted, replaced, reused', async () => {
    const store = freshStore();
    const other = new SecretServiceStore(store.service);
    opened.push(other);
    await store.set('x', 'mine');
    expect(await store.get('x')).toBe('mine');
    // Another connection replaces the value (same item), deletes it, then writes other accounts, which
    // gnome-keyring may number as the deleted item was.
    await other.set('x', 'replaced');
    expect(await store.get('x')).toBe('replaced');
    expect(await other.delete('x')).toBe(true);
    await Promise.all(['y', 'z'].map((account) => other.set(account, `value of ${account}`)));
    expect(await store.get('x')).toBeNull();
    await other.set('x', 'again');
    expect(await store.get('x')).toBe('again');
    expect(await store.get('y')).toBe('value of y');
    for (const account of ['x', 'y', 'z']) expect(await other.delete(account)).toBe(true);
  });

  it('never keeps the process alive between calls, and close releases the connection', async () => {
    const handles = () => process.getActiveResourcesInfo().filter((kind) => kind === 'PipeWrap').length;
    const before = handles();
    const store = freshStore();
    await store.set('a', '1');
    expect(await store.get('a')).toBe('1');
    // The socket stays open for the next call, but unreferenced: an idle store lets the process exit.
    expect(handles()).toBe(before);
    await store.close();
    // A closed store opens a new connection on its next call.
    expect(await store.delete('a')).toBe(true);
  });
});
