import { createRequire } from 'node:module';
import type { AsyncEntry } from '@napi-rs/keyring';
import { LARGE_ENTRY_CHARS, MAX_ENTRY_CHARS } from './chunked-values.js';
import type { SecretStore } from './secret-store.js';
import { keychainFailure } from './unavailable.js';

// The native binding loads on first use, with a plain require: inside the code-cached rotation bundle
// a dynamic import() of a package fails ("A dynamic import callback was not specified").
const requireCjs = createRequire(import.meta.url);

/**
 * The OS keychain through @napi-rs/keyring: macOS Keychain and Windows Credential Manager (Linux uses
 * SecretServiceStore, which keeps one D-Bus connection instead of opening one per call).
 */
export class OsSecretStore implements SecretStore {
  readonly maxEntryChars: number;

  /**
   * @param service the keychain service name every entry is filed under (`keyrot` by default).
   * @param platform decides the entry budget: Windows Credential Manager caps one credential at 2,560 bytes.
   */
  constructor(
    readonly service: string,
    platform: NodeJS.Platform = process.platform,
  ) {
    this.maxEntryChars = platform === 'win32' ? MAX_ENTRY_CHARS : LARGE_ENTRY_CHARS;
  }

  async get(account: string): Promise<string | null> {
    return this.call((entry) => entry.getPassword(), account);
  }

  async set(account: string, value: string): Promise<void> {
    await this.call((entry) => entry.setPassword(value), account);
  }

  async delete(account: string): Promise<boolean> {
    return this.call((entry) => entry.deleteCredential(), account);
  }

  private async call<T>(action: (entry: AsyncEntry) => Promise<T>, account: string): Promise<T> {
    // Loaded on first use: only macOS and Windows need the native binding.
    const { AsyncEntry } = requireCjs('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
    try {
      return await action(new AsyncEntry(this.service, account));
    } catch (error) {
      throw keychainFailure(error);
    }
  }
}
