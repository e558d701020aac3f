import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { MAX_ENTRY_CHARS } from './chunked-values.js';
import type { SecretStore } from './secret-store.js';
import { keychainFailure } from './unavailable.js';

// On Linux keyring-rs silently falls back to the kernel keyring (lost at logout) when there is no
// Secret Service; pinning the store turns that into an error we can report.
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/**
 * Largest entry on macOS and Linux. Neither caps an item near this, but gnome-keyring rewrites its
 * whole keyring file on every change, so a 1 MB value in 1,000-character chunks took ~73 s there;
 * in 64 Ki-character chunks it is a handful of writes.
 */
export const LARGE_ENTRY_CHARS = 64 * 1024;

/** The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service) through @napi-rs/keyring. */
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
    try {
      // The constructor itself throws when there is no D-Bus session bus.
      return await action(new AsyncEntry(this.service, account, ENTRY_OPTIONS));
    } catch (error) {
      throw keychainFailure(error);
    }
  }
}
