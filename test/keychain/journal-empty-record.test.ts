// The journal keeps the record of an empty journal (src/state/journal-empty.ts) truthful: at no instant
// does the record say "empty" while an entry holds a value. A crash leaves the state of one such instant,
// so the check runs after every keychain write and every record write or withdrawal (a crash right after
// any of them), across whole rotations, two rotations interleaved or racing under the real file lock, and
// a crash at each write followed by a re-run.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { type JournalEmptyRecord, type JournalKey, RotationJournal } from '../../src/keychain/journal.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import type { SecretStore } from '../../src/keychain/secret-store.js';
import { keychainIdentity } from '../../src/keychain/service-name.js';
import { acquireLock } from '../../src/lock/index.js';
import { JournalEmptyFile, journalKnownEmpty } from '../../src/state/journal-empty.js';
import { tempDir } from '../support/cleanup.js';

const ID = keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: 'keyrot-test' });
const FILES = [{ path: '/home/a/.aws/credentials', kind: 'credentials' as const }];
const ALICE: JournalKey = {
  userArn: 'arn:aws:iam::123456789012:user/alice',
  oldKeyId: 'AKIAALICEOLD00000001',
};
const BOB: JournalKey = { userArn: 'arn:aws:iam::123456789012:user/bob', oldKeyId: 'AKIABOBOLD0000000001' };

/** The entries holding a value, read straight from the raw store (no lock: what a crash would leave). */
async function liveEntries(raw: SecretStore): Promise<string[]> {
  const values = new ChunkedValueStore(raw);
  const live: string[] = [];
  for (const name of await values.list('journal:')) if ((await values.get(name)) !== null) live.push(name);
  return live;
}

/** A world: a raw store, a state dir, and a check of the invariant run after every write of either. */
async function world() {
  const stateDir = await tempDir('journal-empty-record');
  const raw = new MemorySecretStore();
  const violations: string[] = [];
  let checks = 0;
  const check = async (after: string) => {
    checks += 1;
    if (!(await journalKnownEmpty(stateDir, ID))) return;
    const live = await liveEntries(raw);
    if (live.length > 0) violations.push(`after ${after}: the record says empty, ${live.join(', ')} live`);
  };
  // The raw store as the journal sees it: every write is followed by the check.
  const checked: SecretStore = {
    get: (account) => raw.get(account),
    set: async (account, value) => {
      await raw.set(account, value);
      await check(`set ${account}`);
    },
    delete: async (account) => {
      const deleted = await raw.delete(account);
      await check(`delete ${account}`);
      return deleted;
    },
  };
  const file = new JournalEmptyFile(stateDir, ID);
  const record: JournalEmptyRecord = {
    withdraw: async () => {
      await file.withdraw();
      await check('withdraw');
    },
    write: async () => {
      await file.write();
      await check('write');
    },
  };
  const lockFile = join(stateDir, 'keychain.lock');
  /** One process's journal: its own value store over the shared store, the real inter-process lock. */
  const journal = (options: { record?: JournalEmptyRecord | null } = {}) =>
    new RotationJournal(
      new ChunkedValueStore(checked, { lock: () => acquireLock(lockFile, { wait: true }) }),
      { emptyRecord: options.record === null ? null : (options.record ?? record) },
    );
  return {
    stateDir,
    raw,
    record,
    journal,
    knownEmpty: () => journalKnownEmpty(stateDir, ID),
    violations,
    checks: () => checks,
  };
}

/** One whole rotation with a grace window, as the steps write the journal; `jitter` waits up to that many ms between steps. */
async function rotation(journal: RotationJournal, key: JournalKey, jitter = 0): Promise<void> {
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * jitter));
  await journal.begin({ ...key, profile: 'p', files: FILES, keysBefore: [key.oldKeyId] });
  await pause();
  await journal.recordNewKey(
    key,
    `${key.oldKeyId.slice(0, 16)}NEW1`,
    'a-secret-of-forty-characters-0000000000',
  );
  await pause();
  await journal.openWindow(key, { rewrittenAt: '2026-12-02T12:00:00Z', retireAt: '2026-12-02T14:00:00Z' });
  await pause();
  await journal.recordUseSeen(key, '2026-12-02T13:00:00Z');
  await pause();
  await journal.finish(key);
}

describe('the record of an empty journal, kept by the journal', () => {
  it('is withdrawn before a rotation writes its entry and written once it has finished', async () => {
    const w = await world();
    await w.journal().recordIfEmpty();
    expect(await w.knownEmpty()).toBe(true);
    const journal = w.journal();
    await journal.begin({ ...ALICE, profile: 'p', files: FILES, keysBefore: [ALICE.oldKeyId] });
    expect(await w.knownEmpty()).toBe(false);
    await journal.finish(ALICE);
    expect(await w.knownEmpty()).toBe(true);
    await rotation(w.journal(), ALICE);
    expect(await w.knownEmpty()).toBe(true);
    expect(w.violations).toEqual([]);
    expect(w.checks()).toBeGreaterThan(10);
  });

  it('is not written while another rotation is unfinished, and written by the last one to finish', async () => {
    const w = await world();
    const a = w.journal();
    const b = w.journal();
    await a.begin({ ...ALICE, profile: 'a', files: FILES, keysBefore: [ALICE.oldKeyId] });
    await b.begin({ ...BOB, profile: 'b', files: FILES, keysBefore: [BOB.oldKeyId] });
    await b.recordNewKey(BOB, 'AKIABOBNEW0000000001', 'a-secret-of-forty-characters-0000000000');
    await a.finish(ALICE);
    expect(await w.knownEmpty()).toBe(false);
    await b.finish(BOB);
    expect(await w.knownEmpty()).toBe(true);
    expect(w.violations).toEqual([]);
  });

  it('stays truthful while two processes rotate two users at once, under the real lock', async () => {
    const w = await world();
    for (let round = 0; round < 10; round++) {
      await Promise.all([rotation(w.journal(), ALICE, 5), rotation(w.journal(), BOB, 5)]);
      expect(await w.knownEmpty()).toBe(true);
    }
    expect(w.violations).toEqual([]);
  });

  it('stays truthful after a crash at each keychain write of a rotation, and the re-run records the empty journal', async () => {
    let crashes = 0;
    for (let skip = 0; ; skip++) {
      const w = await world();
      await w.journal().recordIfEmpty();
      w.raw.injectError({ op: 'write', skip });
      const crashed = await rotation(w.journal(), ALICE).then(
        () => false,
        () => true,
      );
      w.raw.clearInjectedErrors();
      if (!crashed) break;
      crashes += 1;
      // The re-run: a later process finds what is left and finishes it.
      const rerun = w.journal();
      const { entries, damaged } = await rerun.survey();
      expect(damaged).toEqual([]);
      for (const entry of entries) await rerun.finish(entry);
      if (entries.length === 0) await rerun.recordIfEmpty();
      expect(await w.knownEmpty(), `crash at write ${skip}`).toBe(true);
      expect(w.violations, `crash at write ${skip}`).toEqual([]);
    }
    expect(crashes).toBeGreaterThan(5);
  });

  it('stays truthful when killed right after a withdrawal or right before a write of the record, and the re-run records it', async () => {
    class Killed extends Error {}
    let kills = 0;
    for (let at = 0; ; at++) {
      const w = await world();
      await w.journal().recordIfEmpty();
      let ops = 0;
      // The kill points around the record: after each withdrawal (before the entry is written) and before
      // each write (after the last entry's removal). Nothing of this run happens after the kill.
      const killing: JournalEmptyRecord = {
        withdraw: async () => {
          await w.record.withdraw();
          if (ops++ === at) throw new Killed();
        },
        write: async () => {
          if (ops++ === at) throw new Killed();
          await w.record.write();
        },
      };
      await rotation(w.journal({ record: killing }), ALICE).catch((error: unknown) => {
        if (!(error instanceof Killed)) throw error;
      });
      if (ops <= at) break;
      kills += 1;
      expect(w.violations, `killed at record operation ${at}`).toEqual([]);
      const rerun = w.journal();
      const { entries } = await rerun.survey();
      for (const entry of entries) await rerun.finish(entry);
      if (entries.length === 0) await rerun.recordIfEmpty();
      expect(await w.knownEmpty(), `killed at record operation ${at}`).toBe(true);
      expect(w.violations, `killed at record operation ${at}`).toEqual([]);
    }
    // Four withdrawals (one per journal write) and the write at the finish.
    expect(kills).toBe(5);
  });

  it('leaves no entry when the withdrawal fails, and a record it could not write means only "unknown"', async () => {
    const w = await world();
    await w.journal().recordIfEmpty();
    const failing: JournalEmptyRecord = {
      withdraw: async () => {
        throw new Error('disk gone');
      },
      write: async () => {
        throw new Error('disk gone');
      },
    };
    const journal = w.journal({ record: failing });
    await expect(
      journal.begin({ ...ALICE, profile: 'p', files: FILES, keysBefore: [ALICE.oldKeyId] }),
    ).rejects.toThrow('disk gone');
    expect(await liveEntries(w.raw)).toEqual([]);
    // A rotation whose record cannot be written still finishes; the record is then absent.
    const healthy = w.journal();
    await healthy.begin({ ...ALICE, profile: 'p', files: FILES, keysBefore: [ALICE.oldKeyId] });
    await w.journal({ record: failing }).finish(ALICE);
    expect(await w.knownEmpty()).toBe(false);
    expect(await liveEntries(w.raw)).toEqual([]);
    expect(w.violations).toEqual([]);
  });

  it('is not written over a damaged entry', async () => {
    const w = await world();
    const journal = w.journal();
    await journal.begin({ ...ALICE, profile: 'p', files: FILES, keysBefore: [ALICE.oldKeyId] });
    const values = new ChunkedValueStore(w.raw);
    const [name] = await values.list('journal:');
    await values.put(name!, '{"not":"an entry"}');
    expect(await w.journal().recordIfEmpty()).toBe(false);
    expect(await w.knownEmpty()).toBe(false);
  });

  it('is withdrawn by the next write of an entry that a keyrot keeping no record began', async () => {
    const w = await world();
    await w.journal().recordIfEmpty();
    // An older keyrot (no record) begins a rotation: the record cannot know of it…
    await w
      .journal({ record: null })
      .begin({ ...ALICE, profile: 'p', files: FILES, keysBefore: [ALICE.oldKeyId] });
    expect(await w.knownEmpty()).toBe(true);
    w.violations.length = 0;
    // …until this keyrot resumes it: its first write withdraws the record.
    await w.journal().recordNewKey(ALICE, 'AKIAALICENEW00000001', 'a-secret-of-forty-characters-0000000000');
    expect(await w.knownEmpty()).toBe(false);
    expect(await w.journal().recordIfEmpty()).toBe(false);
  });
});
