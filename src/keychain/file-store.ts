import { join } from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { syncDirectory, writeFileAtomic } from '../fs/atomic-write.js';
import { retryWhileBusy } from '../fs/busy-retry.js';
import { errnoCode, type FsPort, fileRules, realFs } from '../fs/fs-port.js';
import type { SecretStore } from './secret-store.js';

/** Options of FileSecretStore. */
export interface FileSecretStoreOptions {
  /** Told once per store instance (every command that opens it) that secrets sit in plain files. */
  warn: (message: string) => void;
  /** The file system (default: the real one; tests inject faults). */
  fs?: FsPort;
}

/** The warning the opt-in file backend gives on every use. */
export const FILE_BACKEND_WARNING =
  'keyrot keeps its keychain in plain files (keychain = file in config.ini): backups and the rotation ' +
  'journal are protected only by file permissions (0600). Use the OS keychain where you can.';

/**
 * The opt-in plain-file backend for headless machines: one 0600 file per account in a 0700 directory,
 * each write durable (fsync, rename, fsync dir) before it returns.
 */
export class FileSecretStore implements SecretStore {
  private readonly fs: FsPort;
  private warned = false;
  private ready: Promise<void> | undefined;

  /** @param dir the directory holding the entries (created 0700). */
  constructor(
    readonly dir: string,
    private readonly options: FileSecretStoreOptions,
  ) {
    this.fs = options.fs ?? realFs;
  }

  async get(account: string): Promise<string | null> {
    await this.prepare();
    try {
      return (await this.fs.readFile(this.pathOf(account))).toString('utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.failure('read', error);
    }
  }

  async set(account: string, value: string): Promise<void> {
    await this.prepare();
    try {
      await writeFileAtomic(this.pathOf(account), value, { fs: this.fs, create: true, mode: 0o600 });
    } catch (error) {
      throw this.failure('write', error);
    }
  }

  async delete(account: string): Promise<boolean> {
    await this.prepare();
    try {
      // Windows refuses to remove a file another program (an antivirus scan) holds open: wait for it.
      await retryWhileBusy(fileRules(this.fs), () => this.fs.unlink(this.pathOf(account)));
      await syncDirectory(this.fs, this.dir);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw this.failure('delete', error);
    }
  }

  private prepare(): Promise<void> {
    if (!this.warned) {
      this.warned = true;
      this.options.warn(FILE_BACKEND_WARNING);
    }
    this.ready ??= (async () => {
      try {
        await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
        // mkdir's mode does not apply to a directory that already existed.
        await this.fs.chmod(this.dir, 0o700);
      } catch (error) {
        this.ready = undefined;
        throw this.failure('create', error);
      }
    })();
    return this.ready;
  }

  // Account names hold '/' and ':'; base64url makes them safe, reversible file names.
  private pathOf(account: string): string {
    return join(this.dir, `${Buffer.from(account, 'utf8').toString('base64url')}.secret`);
  }

  private failure(action: string, error: unknown): KeyrotError {
    // The atomic writer's KeyrotError carries the system error that made it fail.
    const code = errnoCode(error instanceof KeyrotError ? error.cause : error) ?? 'error';
    return new KeyrotError('KEYCHAIN_FAILED', `cannot ${action} the file keychain in ${this.dir} (${code})`, {
      cause: error,
      file: this.dir,
    });
  }
}

function isMissing(error: unknown): boolean {
  return errnoCode(error) === 'ENOENT';
}
