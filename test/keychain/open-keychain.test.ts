import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import { keychainService, openKeychain } from '../../src/keychain/open-keychain.js';
import { keychainFailure } from '../../src/keychain/unavailable.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'keyrot-open-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('keychainFailure', () => {
  // The texts @napi-rs/keyring 2.x produces on Linux (FACTS.md and the probe in os-store.real.test.ts).
  it.each([
    [
      'Platform failure: DBus error: Failed to connect to socket /nonexistent/bus: No such file or directory',
      /no D-Bus session bus/,
    ],
    ["Couldn't access platform storage: AccessDenied", /no D-Bus session bus/],
    [
      'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time',
      /no D-Bus/,
    ],
    ["Couldn't access platform storage: Secret Service: no result found", /no unlocked keyring/],
  ])('maps %j to KEYCHAIN_UNAVAILABLE (exit 5) with how to fix it', (text, message) => {
    const error = keychainFailure(new Error(text), 'linux');
    expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(error.exitCode).toBe(5);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/gnome-keyring.*keychain = file/);
  });

  it('names the keychain on macOS and Windows, and keeps other failures apart', () => {
    const mac = keychainFailure(
      new Error("Couldn't access platform storage: User interaction is not allowed"),
      'darwin',
    );
    expect(mac.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(mac.hint).toMatch(/unlock your login keychain/);
    const other = keychainFailure(new Error('Ambiguous: 2 credentials match'), 'linux');
    expect(other.code).toBe('KEYCHAIN_FAILED');
    const own = new KeyrotError('KEYCHAIN_CORRUPT', 'x');
    expect(keychainFailure(own)).toBe(own);
  });
});

describe('openKeychain', () => {
  it('proves the store works with a probe entry it removes again', async () => {
    const store = new MemorySecretStore();
    const keychain = await openKeychain({ env: {}, stateDir, store });
    expect(keychain.backend).toBe('os');
    expect(store.entries.size).toBe(0);
    expect(store.calls.map((c) => c.split(' ')[0])).toEqual(['set', 'get', 'delete']);
  });

  it('fails when the store loses what it was given, or cannot be written', async () => {
    const store = new MemorySecretStore();
    store.injectError({
      op: 'set',
      error: keychainFailure(new Error('Secret Service: no result found'), 'linux'),
    });
    await expect(openKeychain({ env: {}, stateDir, store })).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
    const forgetful = new MemorySecretStore();
    forgetful.set = async () => undefined;
    await expect(openKeychain({ env: {}, stateDir, store: forgetful })).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
      message: 'the keychain did not return what keyrot just stored in it',
    });
  });

  it('takes the service name from KEYROT_KEYCHAIN_SERVICE', () => {
    expect(keychainService({})).toBe('keyrot');
    expect(keychainService({ KEYROT_KEYCHAIN_SERVICE: 'keyrot-test-1' })).toBe('keyrot-test-1');
  });
});
