// The record that the rotation journal holds no entry: `<stateDir>/journal-empty.json`, naming the keychain
// whose journal it speaks for. `keyrot status` trusts it to skip the keychain when no profile is protected
// (the D-Bus session and its key exchange are most of its CPU time). The journal (src/keychain/journal.ts)
// removes it, durably, before it writes any entry, and writes it only under the keychain's lock after
// finding no entry, so it never says "empty" while an entry exists; anything else (no file, a damaged
// one, another keychain's) means "unknown": read the keychain. docs/rotation-protocol.md, "The journal".
// It holds no secret and no key id.
import path from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import { syncDirectory } from '../fs/atomic-write.js';
import { retryWhileBusy } from '../fs/busy-retry.js';
import { errnoCode, type FsPort, fileRules, realFs } from '../fs/fs-port.js';

/** The file name of the record inside the state directory. */
export const JOURNAL_EMPTY_FILE_NAME = 'journal-empty.json';

/** The path of the record in `stateDir`. */
export function journalEmptyPath(stateDir: string): string {
  return path.join(stateDir, JOURNAL_EMPTY_FILE_NAME);
}

/** True only when the record exists, is whole, and speaks for `keychainId`; false means "read the journal". */
export async function journalKnownEmpty(
  stateDir: string,
  keychainId: string,
  deps: { fs?: Pick<FsPort, 'readFile'> } = {},
): Promise<boolean> {
  const fs = deps.fs ?? realFs;
  try {
    const record = JSON.parse((await fs.readFile(journalEmptyPath(stateDir))).toString('utf8'));
    return record?.version === 1 && record.keychain === keychainId;
  } catch {
    return false;
  }
}

/** The record of one keychain's journal, as the journal keeps it (src/keychain/journal.ts JournalEmptyRecord). */
export class JournalEmptyFile {
  private readonly fs: FsPort;

  constructor(
    private readonly stateDir: string,
    /** The keychain whose journal it speaks for (src/keychain/service-name.ts keychainIdentity). */
    readonly keychainId: string,
    deps: { fs?: FsPort } = {},
  ) {
    this.fs = deps.fs ?? realFs;
  }

  /** Removes the record and makes the removal durable; no error when there is none. */
  async withdraw(): Promise<void> {
    const file = journalEmptyPath(this.stateDir);
    try {
      // status reads it now and then; on Windows that read refuses a removal for a moment.
      await retryWhileBusy(fileRules(this.fs), () => this.fs.unlink(file));
      await syncDirectory(this.fs, this.stateDir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      // A rotation must not write its journal while the record may still say "empty".
      throw new KeyrotError('FILE_WRITE_FAILED', 'cannot remove the record of an empty rotation journal', {
        file,
        cause: error,
      });
    }
  }

  /**
   * Writes the record (0600, directory 0700). Neither flushed nor renamed into place: its durability never
   * matters, since a record lost or torn by a crash reads as "unknown" (only its removal must be durable).
   */
  async write(): Promise<void> {
    await this.fs.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await this.fs.writeFile(
      journalEmptyPath(this.stateDir),
      `${JSON.stringify({ version: 1, keychain: this.keychainId })}\n`,
      { mode: 0o600 },
    );
  }
}

/**
 * The record kept in `stateDir` for the keychain `identity` names (src/keychain/open-keychain.ts
 * Keychain.identity); null for a keychain without one (handed in, such as the demo's in-memory one),
 * which keeps no record.
 */
export function journalEmptyRecordFor(
  stateDir: string,
  identity: string | undefined,
): JournalEmptyFile | null {
  return identity ? new JournalEmptyFile(stateDir, identity) : null;
}
