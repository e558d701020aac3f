/**
 * A raw keychain backend: one string value per account name under a fixed service.
 * Backends store what they are given; compression, chunking and checksums live in ChunkedValueStore.
 */
export interface SecretStore {
  /** Largest string one entry takes on this backend (ChunkedValueStore splits values to fit). */
  readonly maxEntryChars?: number;
  /** The stored value, or null when the account has none. */
  get(account: string): Promise<string | null>;
  /** Stores (creates or replaces) the value of an account. */
  set(account: string, value: string): Promise<void>;
  /** Removes an account's value; true when there was one. */
  delete(account: string): Promise<boolean>;
  /**
   * Proves, without writing, that values can be stored now (reachable, unlocked); backends that cannot
   * tell leave it out and openKeychain writes, reads back and deletes a probe entry instead.
   */
  checkWritable?(): Promise<void>;
  /** Releases what the backend holds open (a D-Bus connection); a later call may open it again. */
  close?(): Promise<void>;
}
