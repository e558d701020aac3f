import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { acquireLock } from '../lock/index.js';
import { ChunkedValueStore, type LockProvider } from './chunked-values.js';
import { FileSecretStore } from './file-store.js';
import { openOsStore } from './os-backend.js';
import type { SecretStore } from './secret-store.js';
import { keychainIdentity, keychainService } from './service-name.js';

/** Which backend holds keyrot's secrets: the OS keychain, or the opt-in plain-file store. */
export type KeychainBackend = 'os' | 'file';

/** An opened, reachable keychain. */
export interface Keychain {
  /** Compressed, chunked, checksummed values (backups and the journal live here). */
  values: ChunkedValueStore;
  /** The backend in use. */
  backend: KeychainBackend;
  /** Where the secrets are, in words (for doctor and messages). */
  location: string;
  /**
   * Which keychain this is (keychainIdentity), for records kept outside it such as the record of an empty
   * journal; absent for a store handed in (options.store: tests, the demo's in-memory keychain).
   */
  identity?: string;
  /** Releases the backend's connection (the values stay usable: a later call opens it again). */
  close?(): Promise<void>;
}

/** Options of openKeychain. */
export interface OpenKeychainOptions {
  env: NodeJS.ProcessEnv;
  /** `keychain` from config.ini; the OS keychain unless the person opted in to files. */
  backend?: KeychainBackend;
  /** keyrot's state directory (the file backend lives in `<stateDir>/keychain`). */
  stateDir: string;
  /** Receives the file backend's warning (on every use); stderr in commands, the log in the daemon. */
  warn?: (message: string) => void;
  /** Serialises index updates between processes (default: the lock file at keychainLockPath). */
  lock?: LockProvider;
  /** Replaces the raw backend (tests: MemorySecretStore). */
  store?: SecretStore;
}

/** The inter-process lock file that serialises keychain index and catalog updates. */
export function keychainLockPath(stateDir: string): string {
  return join(stateDir, 'locks', 'keychain.lock');
}

/**
 * Opens the configured keychain and proves it works: the backend's own check where it has one (the
 * Secret Service: an unlocked default keyring), else by writing, reading back and deleting a probe
 * entry. An unreachable or locked OS keychain is KEYCHAIN_UNAVAILABLE (exit 5) with how to fix it;
 * there is never a silent fallback to files.
 */
export async function openKeychain(options: OpenKeychainOptions): Promise<Keychain> {
  const backend = options.backend ?? 'os';
  const service = keychainService(options.env);
  const dir = join(options.stateDir, 'keychain');
  const store: SecretStore =
    options.store ??
    (backend === 'file'
      ? new FileSecretStore(dir, {
          warn: options.warn ?? ((message) => process.stderr.write(`keyrot: warning: ${message}\n`)),
        })
      : await openOsStore(service));
  try {
    await (store.checkWritable ? store.checkWritable() : probe(store));
  } catch (error) {
    await store.close?.();
    throw error;
  }
  const lockPath = keychainLockPath(options.stateDir);
  // The lock file needs its directory, whoever supplies the lock.
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  const lock = options.lock ?? (() => acquireLock(lockPath, { wait: true }));
  const values = new ChunkedValueStore(store, { lock });
  return {
    values,
    backend,
    location: backend === 'file' ? `plain files in ${dir}` : `the OS keychain, service "${service}"`,
    ...(options.store ? {} : { identity: keychainIdentity(backend, options.env) }),
    close: async () => {
      // Work still queued (a pruned backup's content being deleted) finishes on this connection first.
      await values.idle();
      await store.close?.();
    },
  };
}

async function probe(store: SecretStore): Promise<void> {
  const account = `probe/${process.pid}`;
  const token = randomBytes(8).toString('hex');
  await store.set(account, token);
  const back = await store.get(account);
  await store.delete(account);
  // A keychain that accepts a write but returns something else cannot be trusted with a backup.
  if (back !== token) {
    throw new KeyrotError(
      'KEYCHAIN_UNAVAILABLE',
      'the keychain did not return what keyrot just stored in it',
      {
        hint: 'Unlock the keychain (or log in to a desktop session), or opt in to `keychain = file` in config.ini.',
      },
    );
  }
}
