import { createRequire } from 'node:module';
import type { AsyncEntry } from '@napi-rs/keyring';
import { LARGE_ENTRY_CHARS, MAX_ENTRY_CHARS } from './chunked-values.js';
import type { SecretStore } from './secret-store.js';
import { keychainFailure, keychainNoAnswer } from './unavailable.js';

// The native binding loads on first use, with a plain require (it is a CommonJS package).
const requireCjs = createRequire(import.meta.url);

/** One keychain item, as @napi-rs/keyring's AsyncEntry gives it. */
export type KeychainEntry = Pick<AsyncEntry, 'getPassword' | 'setPassword' | 'deleteCredential'>;

/** How long one keychain call may take before keyrot stops waiting for it. */
export const KEYCHAIN_CALL_TIMEOUT_MS = 60_000;

/** Options of OsSecretStore. */
export interface OsSecretStoreOptions {
  /** Give up on a keychain call after this long (default KEYCHAIN_CALL_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Opens one item (default: @napi-rs/keyring's AsyncEntry; tests wrap it to watch the native call). */
  openEntry?: (service: string, account: string) => KeychainEntry;
}

/**
 * The OS keychain through @napi-rs/keyring: macOS Keychain and Windows Credential Manager (Linux uses
 * SecretServiceStore, which keeps one D-Bus connection instead of opening one per call).
 *
 * Every call is bounded. On macOS a call waits, without any limit of its own, for the person to answer
 * a dialog: each item trusts the program that created it, so after a Node upgrade every item asks again.
 * The AsyncEntry methods take an AbortSignal, which keyrot passes, but napi-rs can cancel only a call
 * still queued for a thread (napi_cancel_async_work), not one already waiting on a dialog: so keyrot
 * stops waiting itself and reports that the person is needed (exit 5), never a network failure.
 */
export class OsSecretStore implements SecretStore {
  readonly maxEntryChars: number;
  private readonly timeoutMs: number;

  /**
   * @param service the keychain service name every entry is filed under (`keyrot` by default).
   * @param platform decides the entry budget (Windows Credential Manager caps one credential at 2,560
   *   bytes) and how a call that does not answer is explained.
   */
  constructor(
    readonly service: string,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly options: OsSecretStoreOptions = {},
  ) {
    this.maxEntryChars = platform === 'win32' ? MAX_ENTRY_CHARS : LARGE_ENTRY_CHARS;
    this.timeoutMs = options.timeoutMs ?? KEYCHAIN_CALL_TIMEOUT_MS;
  }

  async get(account: string): Promise<string | null> {
    return this.call((entry, signal) => entry.getPassword(signal), account);
  }

  async set(account: string, value: string): Promise<void> {
    await this.call((entry, signal) => entry.setPassword(value, signal), account);
  }

  async delete(account: string): Promise<boolean> {
    return this.call((entry, signal) => entry.deleteCredential(signal), account);
  }

  private async call<T>(
    action: (entry: KeychainEntry, signal: AbortSignal) => Promise<T>,
    account: string,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = action(this.openEntry(account), controller.signal);
      // Settles whenever the native call ends, possibly long after keyrot stopped waiting for it.
      work.catch(() => undefined);
      const noAnswer = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(keychainNoAnswer(this.platform, this.timeoutMs));
        }, this.timeoutMs);
      });
      return await Promise.race([work, noAnswer]);
    } catch (error) {
      throw keychainFailure(error);
    } finally {
      clearTimeout(timer);
    }
  }

  private openEntry(account: string): KeychainEntry {
    if (this.options.openEntry) return this.options.openEntry(this.service, account);
    // Loaded on first use: only macOS and Windows need the native binding.
    const { AsyncEntry } = requireCjs('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
    return new AsyncEntry(this.service, account);
  }
}
