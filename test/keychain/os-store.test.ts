// The macOS and Windows keychain store (@napi-rs/keyring): what can be checked without those systems.
import { describe, expect, it } from 'vitest';
import { LARGE_ENTRY_CHARS, MAX_ENTRY_CHARS } from '../../src/keychain/chunked-values.js';
import { OsSecretStore } from '../../src/keychain/os-store.js';

describe('OsSecretStore', () => {
  it('budgets entries for Windows Credential Manager only on Windows', () => {
    expect(new OsSecretStore('s', 'win32').maxEntryChars).toBe(MAX_ENTRY_CHARS);
    expect(new OsSecretStore('s', 'darwin').maxEntryChars).toBe(LARGE_ENTRY_CHARS);
  });
});
