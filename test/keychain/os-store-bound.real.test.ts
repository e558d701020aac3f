// Every call of OsSecretStore is bounded, also while the native keychain call is stuck. Here the real
// @napi-rs/keyring binding (the macOS/Windows backend; on Linux it talks to the Secret Service) waits on
// a frozen gnome-keyring of its own, the nearest Linux has to a macOS keychain dialog nobody answers: the
// native call sits in a libuv thread, where napi-rs cannot cancel it, and keyrot must stop waiting anyway.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type KeychainEntry, OsSecretStore } from '../../src/keychain/os-store.js';
import { describeWith, realPartsAvailable } from '../support/real-part.js';
import { frozenFor } from './fault-helpers.js';
import { type PrivateSecretService, startPrivateSecretService } from './private-secret-service.js';

const describeReal = describeWith('secretService', 'dbusTools');
const require = createRequire(import.meta.url);

let secrets: PrivateSecretService;
const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
beforeEach(async () => {
  if (!realPartsAvailable('secretService', 'dbusTools')) return;
  secrets = await startPrivateSecretService();
  // libdbus, inside the native binding, reads the session bus address from this process's environment.
  process.env.DBUS_SESSION_BUS_ADDRESS = secrets.env.DBUS_SESSION_BUS_ADDRESS;
});
afterEach(async () => {
  process.env.DBUS_SESSION_BUS_ADDRESS = saved;
  await secrets?.stop();
});

describeReal('OsSecretStore over the real native binding', () => {
  it('stops waiting for a native call that does not answer, reports that the person is needed, and leaves no rejection behind', async () => {
    const { AsyncEntry } = require('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
    const native: { settled: boolean }[] = [];
    // The real entries, pinned to the Secret Service, made while the keyring answers: on Linux the
    // binding's constructor already talks to D-Bus, synchronously (on macOS it does not touch the
    // keychain). Each call's settlement is recorded.
    const service = `keyrot-test-${randomBytes(4).toString('hex')}`;
    const entries = new Map(
      ['journal'].map((account) => [
        account,
        new AsyncEntry(service, account, { linux: { store: 'secret-service' } }),
      ]),
    );
    const openEntry = (_service: string, account: string): KeychainEntry => {
      const entry = entries.get(account);
      if (!entry) throw new Error(`no entry made for ${account}`);
      const watch = <T>(call: Promise<T>): Promise<T> => {
        const record = { settled: false };
        native.push(record);
        const mark = () => {
          record.settled = true;
        };
        call.then(mark, mark);
        return call;
      };
      return {
        getPassword: (signal) => watch(entry.getPassword(signal)),
        setPassword: (value, signal) => watch(entry.setPassword(value, signal)),
        deleteCredential: (signal) => watch(entry.deleteCredential(signal)),
      };
    };
    const store = new OsSecretStore(service, 'darwin', { timeoutMs: 400, openEntry });
    await store.set('journal', 'before');
    expect(await store.get('journal')).toBe('before');

    const error = await frozenFor(secrets.keyringPid(), 3_000, async () => {
      const failure = await store.get('journal').catch((e: unknown) => e);
      // keyrot has answered while the native call is still waiting on the frozen keyring.
      expect(native.at(-1)?.settled).toBe(false);
      return failure;
    });
    expect(error).toMatchObject({ code: 'KEYCHAIN_PROMPT' });
    // The stuck call ended on its own (libdbus gave up) while the keyring was frozen; keyrot's handler took
    // its rejection (an unhandled one would fail this test run).
    expect(native.every((call) => call.settled)).toBe(true);
    expect(await new OsSecretStore(service, 'darwin', { openEntry }).delete('journal')).toBe(true);
  }, 60_000);
});
