// On macOS each keychain item trusts the node binary that created it: after a Node upgrade, every
// existing item keyrot touches raises one dialog (see OsSecretStore). So a rotation must touch few items,
// and few that existed before it. Measured over the real journal and backups, sized as on macOS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { LARGE_ENTRY_CHARS } from '../../src/keychain/chunked-values.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import { rotateProfile } from '../../src/rotation/rotate-profile.js';
import { engineDeps, worldFiles } from '../rotation/engine-deps.js';
import { createWorld, profileBlock } from '../support/world.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => emulator?.close());

/** A keychain with macOS's entry size (the 2,560-byte Windows cap does not apply there). */
function macKeychain(): MemorySecretStore {
  const store = new MemorySecretStore();
  Object.defineProperty(store, 'maxEntryChars', { value: LARGE_ENTRY_CHARS });
  return store;
}

/**
 * The items a run's calls touch: those it writes or deletes, and those it reads that existed before it.
 * A lookup of an item that does not exist (a leftover name checked before it is unlisted) asks nothing.
 */
function touched(calls: string[], existed: Set<string>): Set<string> {
  const account = (call: string) => call.slice(call.indexOf(' ') + 1);
  const written = new Set(calls.filter((call) => !call.startsWith('get ')).map(account));
  return new Set(calls.map(account).filter((item) => written.has(item) || existed.has(item)));
}

describe('keychain items per rotation (macOS sizes)', () => {
  it('a rotation touches at most 4 items, and after a Node upgrade asks about at most 2 that existed before', async () => {
    const user = await emulator.admin.seedUser({ user: 'items', keyAgeDays: 120 });
    const key = user.keys[0]!;
    const world = await createWorld({ label: 'engine', emulator });
    await world.writeCredentials(profileBlock('p', key));
    await world.writeConfig('[profile p]\nregion = us-east-1\n');
    const files = worldFiles(world);
    const store = macKeychain();
    const request = { profile: 'p', force: true, deleteOther: true, dryRun: false };
    await rotateProfile(request, engineDeps(emulator, store, files));
    expect(touched(store.calls, new Set()).size).toBeLessThanOrEqual(4);

    // The next rotation, as if node had been upgraded in between: items made before it each ask once.
    const before = new Set(store.entries.keys());
    store.calls.length = 0;
    await rotateProfile(request, engineDeps(emulator, store, files));
    const asked = [...touched(store.calls, before)].filter((account) => before.has(account));
    expect(asked.length).toBeLessThanOrEqual(2);
    expect(touched(store.calls, before).size).toBeLessThanOrEqual(4);
  });
});
