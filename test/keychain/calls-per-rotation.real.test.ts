// How many keychain calls one rotation makes, counted on the real Secret Service (each call is one or two
// D-Bus round trips, each write makes gnome-keyring rewrite its keyring file). The bounds are the
// protocol's needs: the journal written twice and read back, a backup with its catalog, one pruned.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import { SecretServiceStore } from '../../src/keychain/secret-service/store.js';
import type { SecretStore } from '../../src/keychain/secret-store.js';
import { keychainIdentity } from '../../src/keychain/service-name.js';
import { rotateProfile } from '../../src/rotation/rotate-profile.js';
import { JournalEmptyFile, journalKnownEmpty } from '../../src/state/journal-empty.js';
import { engineDeps, worldFiles } from '../rotation/engine-deps.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock } from '../support/world.js';

const describeReal = describeWith('secretService');

/** The real store, with every call written down as `op account`. */
class CountingStore implements SecretStore {
  readonly calls: string[] = [];
  readonly maxEntryChars: number | undefined;

  constructor(private readonly inner: SecretStore) {
    this.maxEntryChars = inner.maxEntryChars;
  }

  get(account: string): Promise<string | null> {
    this.calls.push(`get ${account}`);
    return this.inner.get(account);
  }

  set(account: string, value: string): Promise<void> {
    this.calls.push(`set ${account}`);
    return this.inner.set(account, value);
  }

  delete(account: string): Promise<boolean> {
    this.calls.push(`delete ${account}`);
    return this.inner.delete(account);
  }
}

const service = `keyrot-test-${randomBytes(4).toString('hex')}`;
const real = new SecretServiceStore(service);
let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await emulator?.close();
  await real.close();
  // Every item this file wrote (a big keyring slows every later write of the suites sharing it).
  if (process.env.KEYROT_TEST_SECRET_SERVICE === '1')
    execFileSync('secret-tool', ['clear', 'service', service]);
});

describeReal('keychain calls per rotation (real Secret Service)', () => {
  it('a rotation that prunes a backup makes at most 22 keychain calls, 7 writes, 5 index reads and 1 index write', async () => {
    const user = await emulator.admin.seedUser({ user: 'calls', keyAgeDays: 120 });
    const key = user.keys[0]!;
    const world = await createWorld({ label: 'calls', emulator });
    await world.writeCredentials(profileBlock('p', key));
    await world.writeConfig('[profile p]\nregion = us-east-1\n');
    const store = new CountingStore(real);
    const values = new ChunkedValueStore(store);
    const request = { profile: 'p', force: true, deleteOther: true, dryRun: false };
    const perRotation: string[][] = [];
    const emptyRecord = new JournalEmptyFile(
      world.stateDir,
      keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: service }),
    );
    // Three rotations: from the third on, each finds the previous one's finished journal name and
    // pruned backup name listed, and prunes a backup of its own (keep = 1), as every run does once
    // `backups_keep` is reached.
    for (let i = 0; i < 3; i++) {
      const deps = engineDeps(emulator, store, worldFiles(world));
      deps.journal = new RotationJournal(values, { emptyRecord });
      deps.backups = new BackupStore(values, { keep: 1 });
      store.calls.length = 0;
      const result = await rotateProfile(request, deps);
      expect(result.outcome).toBe('rotated');
      perRotation.push([...store.calls]);
    }
    const steady = perRotation[2]!;
    const writes = steady.filter((call) => !call.startsWith('get '));
    // Before: 32 calls, 10 writes, the index read 10 times and written 4 times; then 25 calls, until the
    // journal's intent and a backup's content skipped reading names the index does not list. (The
    // user's inactive old key makes this run survey the journal once more than `keyrot rotate-now` in
    // the bench.)
    // The record of an empty journal (src/state/journal-empty.ts) costs one index read more, at the end;
    // reading the journal once per run, under the key's lock (not before taking it and again after), one
    // index read and one journal read less.
    // The intent's index write lists the backup's name too (the backup makes none): one index write,
    // where there were two (one more read, of the catalog, when the backup is reserved at step 4).
    expect(steady.length).toBeLessThanOrEqual(22);
    expect(writes.length).toBeLessThanOrEqual(7);
    expect(steady.filter((call) => call === 'get h/~index').length).toBeLessThanOrEqual(5);
    expect(writes.filter((call) => call === 'set h/~index')).toHaveLength(1);
    expect(writes.filter((call) => call.startsWith('set h/backup:'))).toHaveLength(1);
    // The guarantees the calls are for: the journal read back after each write, gone at the end, and
    // the backups capped (one kept, its content readable).
    expect(steady.filter((call) => /^set h\/journal:/.test(call))).toHaveLength(2);
    expect(await new RotationJournal(values, { emptyRecord: null }).pending()).toEqual([]);
    expect(
      await journalKnownEmpty(world.stateDir, keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: service })),
    ).toBe(true);
    const kept = await new BackupStore(values).list();
    expect(kept).toHaveLength(1);
    expect((await new BackupStore(values).read(kept[0]!.id)).content.toString()).toContain('[p]');
  });
});
