// A rotation that prunes a backup (backups_keep reached): the pruned backup leaves the catalog in step 8,
// its content is deleted while the rotation goes on, and a deletion that fails never fails the rotation
// (a later backup sweeps the content). The real emulator, SDK, files, journal and backups; the keychain in
// memory, for the injected failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import { rotateProfile } from '../../src/rotation/rotate-profile.js';
import type { Clock } from '../../src/time/clock.js';
import { createWorld, profileBlock } from '../support/world.js';
import { engineDeps, worldFiles } from './engine-deps.js';

const HOUR_MS = 60 * 60 * 1000;

describe('a rotation that prunes a backup', () => {
  let emulator: RunningEmulator;
  let users = 0;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  /** Two rotations of one profile sharing one keychain that keeps one backup: the second prunes the first's. */
  async function twoRotations(beforeSecond: (store: MemorySecretStore, firstId: string) => void = () => {}) {
    const user = await emulator.admin.seedUser({ user: `prune${++users}`, keyAgeDays: 120 });
    const world = await createWorld({ label: 'prune', emulator });
    await world.writeCredentials(profileBlock('p', user.keys[0]!));
    const store = new MemorySecretStore();
    // One value store for the journal and the backups, as the real wiring has (rotation-deps.ts).
    const values = new ChunkedValueStore(store);
    const rotate = async () => {
      const deps = engineDeps(emulator, store, worldFiles(world));
      deps.journal = new RotationJournal(values, { emptyRecord: null });
      deps.backups = new BackupStore(values, { keep: 1 });
      return rotateProfile({ profile: 'p', force: true, deleteOther: true, dryRun: false }, deps);
    };
    const first = await rotate();
    await values.idle();
    beforeSecond(store, first.backupId!);
    const second = await rotate();
    return { store, values, first: first.backupId!, second };
  }

  it('lists only the new backup once the rotation returns, and deletes the pruned content before the keychain is idle', async () => {
    const { store, values, first, second } = await twoRotations();
    expect(second.outcome).toBe('rotated');
    expect((await new BackupStore(values).list()).map((b) => b.id)).toEqual([second.backupId]);
    await values.idle();
    expect([...store.entries.keys()].filter((k) => k.includes(first))).toEqual([]);
    expect((await new BackupStore(values).read(second.backupId!)).content.toString()).toContain('[p]');
  });

  it('completes when the pruned content cannot be deleted; a backup an hour later sweeps that content', async () => {
    const { store, values, first, second } = await twoRotations((memory, firstId) =>
      memory.injectError({ op: 'delete', account: `h/backup:${firstId}` }),
    );
    expect(second.outcome).toBe('rotated');
    await values.idle();
    // Never listed again, though its content is still there.
    expect((await new BackupStore(values).list()).map((b) => b.id)).toEqual([second.backupId]);
    expect(store.entries.has(`h/backup:${first}`)).toBe(true);
    const later: Clock = { now: () => new Date(Date.now() + HOUR_MS + 60_000), sleep: async () => {} };
    await new BackupStore(values, { keep: 1, clock: later }).backup('manual\n', {
      file: '/elsewhere',
      reason: 'manual',
    });
    await values.idle();
    expect([...store.entries.keys()].filter((k) => k.includes(first))).toEqual([]);
  });
});
