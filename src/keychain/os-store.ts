import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { MAX_ENTRY_CHARS } from './chunked-values.js';
import type { SecretStore } from './secret-store.js';
import { isNoReply, keychainFailure } from './unavailable.js';

// On Linux keyring-rs silently falls back to the kernel keyring (lost at logout) when there is no
// Secret Service; pinning the store turns that into an error we can report.
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/**
 * Largest entry on macOS and Linux. Neither caps an item near this, but gnome-keyring rewrites its
 * whole keyring file on every change, so a 1 MB value in 1,000-character chunks took ~73 s there;
 * in 64 Ki-character chunks it is a handful of writes.
 */
export const LARGE_ENTRY_CHARS = 64 * 1024;

/**
 * How long a call that timed out on D-Bus is retried. The Secret Service library gives each D-Bus call
 * only 2 s, and a gnome-keyring that is busy (it rewrites its whole keyring file on every change) on a
 * loaded machine can take longer: that is a slow keychain, not an unreachable one.
 */
export const NO_REPLY_PATIENCE_MS = 60_000;

/** Retry tuning of OsSecretStore (tests shorten it). */
export interface OsStorePatience {
  /** Give up retrying timed-out calls after this long (default NO_REPLY_PATIENCE_MS). */
  totalMs?: number;
  /** Waits between attempts (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service) through @napi-rs/keyring. */
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
    const deadline = Date.now() + (this.patience.totalMs ?? NO_REPLY_PATIENCE_MS);
    const sleep = this.patience.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    let pause = 100;
    for (;;) {
      try {
        // The constructor itself throws when there is no D-Bus session bus.
        return await action(new AsyncEntry(this.service, account, ENTRY_OPTIONS));
      } catch (error) {
        // Every operation is idempotent (set replaces, a second delete is just false): retry a timeout.
        if (!isNoReply(error) || Date.now() >= deadline) throw keychainFailure(error);
        await sleep(pause);
        pause = Math.min(pause * 2, 1_000);
      }
    }
  }
}
