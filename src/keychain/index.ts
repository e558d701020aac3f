// The keychain's public surface, for rotation, commands and the daemon.
export { type BackupInfo, BackupStore, type BackupStoreOptions, DEFAULT_BACKUPS_KEEP } from './backups.js';
export {
  ChunkedValueStore,
  LARGE_ENTRY_CHARS,
  type LockProvider,
  MAX_ENTRY_CHARS,
} from './chunked-values.js';
export { FILE_BACKEND_WARNING, FileSecretStore } from './file-store.js';
export { JOURNAL_PHASES, type JournalEntry, type JournalPhase, RotationJournal } from './journal.js';
export { maskSharedFile } from './mask-shared-file.js';
export { type InjectedError, MemorySecretStore } from './memory-store.js';
export {
  DEFAULT_SERVICE,
  type Keychain,
  type KeychainBackend,
  keychainLockPath,
  keychainService,
  type OpenKeychainOptions,
  openKeychain,
} from './open-keychain.js';
export { OsSecretStore } from './os-store.js';
export { SecretServiceStore, type SecretServiceStoreOptions } from './secret-service/store.js';
export type { SecretStore } from './secret-store.js';
export { keychainFailure } from './unavailable.js';
