// What `keyrot status` reads from the keychain: the unfinished rotations of the journal, and the protected
// profiles' keys. Loaded by src/commands/status.ts only when it opens the keychain.
import { describeError } from '../errors/describe-error.js';
import { maskKeyId } from '../errors/redact.js';
import { RotationJournal } from '../keychain/journal.js';
import { type Keychain, type KeychainBackend, openKeychain } from '../keychain/open-keychain.js';
import { ProtectedKeys } from '../keychain/protected-key.js';
import { journalEmptyRecordFor } from '../state/journal-empty.js';
import type { PendingRow } from './status-report.js';

/** The protected profiles' keys of an opened OS keychain. */
export function protectedKeysOf(keychain: Keychain): ProtectedKeys {
  return new ProtectedKeys(keychain.values.store);
}

/**
 * The journal's unfinished rotations (damaged entries too); a warning instead when the keychain cannot be
 * read. An empty journal is recorded in `stateDir` (src/state/journal-empty.ts), so the next status need
 * not read it.
 */
export async function pendingRotations(
  keychain: Keychain,
  stateDir: string,
  warnings: string[],
): Promise<PendingRow[] | null> {
  try {
    const journal = new RotationJournal(keychain.values, {
      emptyRecord: journalEmptyRecordFor(stateDir, keychain.identity),
    });
    const { entries, damaged } = await journal.survey();
    if (entries.length === 0 && damaged.length === 0) await journal.recordIfEmpty().catch(() => false);
    return [
      ...entries.map((e) => ({
        oldKeyId: maskKeyId(e.oldKeyId),
        newKeyId: e.newKeyId ? maskKeyId(e.newKeyId) : null,
        userArn: e.userArn,
        profile: e.profile,
        phase: e.phase,
        startedAt: e.startedAt,
        files: e.files.map((f) => f.path),
        retireAt: e.retireAt ?? null,
        useSeenAt: e.useSeenAt ?? null,
      })),
      ...damaged.map((d) => ({
        oldKeyId: maskKeyId(d.oldKeyId),
        newKeyId: null,
        userArn: null,
        profile: null,
        phase: 'damaged',
        startedAt: null,
        files: [],
        retireAt: null,
        useSeenAt: null,
      })),
    ];
  } catch (error) {
    warnings.push(`could not read the rotation journal: ${describeError(error).message}`);
    return null;
  }
}

/** The keychain for status; a warning instead when it cannot be opened. */
export async function openForStatus(
  env: NodeJS.ProcessEnv,
  backend: KeychainBackend,
  stateDir: string,
  warnings: string[],
): Promise<Keychain | undefined> {
  try {
    return await openKeychain({ env, backend, stateDir });
  } catch (error) {
    warnings.push(`could not read the rotation journal: ${describeError(error).message}`);
    return undefined;
  }
}
