import { createRequire } from 'node:module';
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';
import { LARGE_ENTRY_CHARS, MAX_ENTRY_CHARS } from './chunked-values.js';
import { type OsStorePatience, retryWhileNoReply } from './patience.js';
import type { SecretStore } from './secret-store.js';
import { isNoReply, keychainFailure } from './unavailable.js';

export { LARGE_ENTRY_CHARS } from './chunked-values.js';
export { NO_REPLY_PATIENCE_MS, type OsStorePatience } from './patience.js';

// The native binding loads on first use, with a plain require: inside the code-cached rotation bundle
// a dynamic import() of a package fails ("A dynamic import callback was not specified").
const requireCjs = createRequire(import.meta.url);

// On Linux keyring-rs silently falls back to the kernel keyring (lost at logout) when there is no
// Secret Service; pinning the store turns that into an error we can report.
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/**
 * The OS keychain through @napi-rs/keyring: macOS Keychain and Windows Credential Manager (Linux uses
 * SecretServiceStore, which keeps one D-Bus connection instead of opening one per call).
 */
export class OsSecretStore implements SecretStore {
  readonly maxEntryChars: number;

  /**
   * @param service the keychain service name every entry is filed under (`keyrot` by default).
   * @param platform decides the entry budget: Windows Credential Manager caps one credential at 2,560 bytes.
   * @param patience how long D-Bus calls that got no reply in time are retried.
   */
  constructor(
    readonly service: string,
    platform: NodeJS.Platform = process.platform,
    private readonly patience: OsStorePatience = {},
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
    // Loaded on first use: Linux uses its own Secret Service backend and never needs the native binding.
    const { AsyncEntry } = requireCjs('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
    try {
      // Every operation is idempotent (set replaces, a second delete is just false): retry a timeout.
      // The constructor itself throws when there is no D-Bus session bus.
      return await retryWhileNoReply(
        () => action(new AsyncEntry(this.service, account, ENTRY_OPTIONS)),
        isNoReply,
        this.patience,
      );
    } catch (error) {
      throw keychainFailure(error);
    }
  }
}
