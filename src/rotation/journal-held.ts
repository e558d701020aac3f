import type { JournalKey } from '../keychain/journal.js';
import type { JournalEntryLike, RotationDeps } from './ports.js';

/**
 * The key ids that unfinished rotations hold — the old and new keys of `userArn`'s other journal entries,
 * and the old key of any damaged entry (whose user cannot be read) — each with its entry (null when
 * damaged). Make-room and orphan clean-up never delete these: such a key is resumed, not destroyed.
 */
export async function journalHeldKeys(
  deps: Pick<RotationDeps, 'journal'>,
  userArn: string,
  own: JournalKey,
): Promise<Map<string, JournalEntryLike | null>> {
  const { entries, damaged } = await deps.journal.survey();
  const held = new Map<string, JournalEntryLike | null>();
  for (const { oldKeyId } of damaged) held.set(oldKeyId, null);
  for (const entry of entries) {
    if (entry.userArn !== userArn) continue;
    if (entry.oldKeyId === own.oldKeyId) continue;
    held.set(entry.oldKeyId, entry);
    if (entry.newKeyId) held.set(entry.newKeyId, entry);
  }
  return held;
}
