import { beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { keychainIdentity, keychainService } from '../../src/keychain/service-name.js';
import { keychainFailure, secretServiceUnavailable } from '../../src/keychain/unavailable.js';
import { tempDir } from '../support/cleanup.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await tempDir('open');
});

describe('keychainFailure (macOS and Windows through @napi-rs/keyring)', () => {
  it.each([
    ["Couldn't access platform storage: User interaction is not allowed"],
    ['Platform failure: The user name or passphrase you entered is not correct'],
    ['The keychain is locked'],
  ])('maps %j to KEYCHAIN_UNAVAILABLE (exit 5) with how to unlock the keychain', (text) => {
    const error = keychainFailure(new Error(text));
    expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(error.exitCode).toBe(5);
    expect(error.message).toBe(`the OS keychain is not reachable: ${text}`);
    expect(error.hint).toMatch(/unlock your login keychain.*keychain = file/);
  });

  it('keeps other failures apart, and passes a KeyrotError through', () => {
    const other = keychainFailure(new Error('Ambiguous: 2 credentials match'));
    expect(other.code).toBe('KEYCHAIN_FAILED');
    expect(other.exitCode).toBe(1);
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
      error: secretServiceUnavailable('no-unlocked-keyring', new Error('no default collection')),
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

  it('names the keychain it opened for records kept outside it: the backend and service, none for a store handed in', async () => {
    const file = await openKeychain({
      env: { KEYROT_KEYCHAIN_SERVICE: 'a' },
      stateDir,
      backend: 'file',
      warn: () => undefined,
    });
    expect(file.identity).toBe('file');
    expect(keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: 'keyrot-test-1' })).toBe('os:keyrot-test-1');
    expect(keychainIdentity('os', {})).toBe('os:keyrot');
    const handedIn = await openKeychain({ env: {}, stateDir, store: new MemorySecretStore() });
    expect(handedIn.identity).toBeUndefined();
  });

  it('takes the service name from KEYROT_KEYCHAIN_SERVICE', () => {
    expect(keychainService({})).toBe('keyrot');
    expect(keychainService({ KEYROT_KEYCHAIN_SERVICE: 'keyrot-test-1' })).toBe('keyrot-test-1');
  });
});
