import { isKeyrotError, KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { journalHeldKeys } from '../journal-held.js';
import { withMfa } from '../mfa.js';
import type { JournalEntryLike, RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

/**
 * Step 5: IAM allows two keys per user. Deletes the other key when inactive; refuses (exit 3, nothing
 * changed) when it is active, unless --delete-other or `other_active_key = delete`. A key that another
 * unfinished rotation holds in the journal is never deleted: that rotation must be finished first.
 */
export async function makeRoom(state: RotationState, deps: RotationDeps): Promise<void> {
  const others = state.keys.filter((k) => k.accessKeyId !== state.oldKeyId);
  if (others.length === 0) return;
  const allowed = state.request.deleteOther || state.policy.otherActiveKey === 'delete';
  const signer = state.oldCredentials!;
  const held = await journalHeldKeys(deps, state.userArn, state);
  for (const other of others) {
    if (held.has(other.accessKeyId))
      throw heldByJournal(state, other.accessKeyId, held.get(other.accessKeyId)!);
  }
  for (const other of others) {
    if (other.status === 'Active' && !allowed) {
      const where = await lastUse(state, deps, other.accessKeyId);
      const p = state.request.profile;
      throw new KeyrotError(
        'OTHER_KEY_ACTIVE',
        `profile "${p}": ${state.userArn} already has a second active key, ${maskKeyId(other.accessKeyId)} (created ${other.createDate.toISOString().slice(0, 10)}, ${where}); IAM allows two keys, so there is no room for a new one. Nothing was changed.`,
        {
          hint: `If no other machine or program uses ${maskKeyId(other.accessKeyId)}, run \`keyrot rotate-now --profile ${p} --delete-other\`, or set other_active_key = delete in [profile ${p}] of keyrot's config.`,
        },
      );
    }
  }
  for (const other of others) {
    const active = other.status === 'Active';
    if (state.request.dryRun) {
      state.otherKeyAction = active ? 'would-delete-active' : 'would-delete-inactive';
      state.plan.push(
        `delete the ${active ? 'active' : 'inactive'} other key ${maskKeyId(other.accessKeyId)}`,
      );
      continue;
    }
    await withMfa(state, deps, signer, (c) => deps.iam.deleteAccessKey(c, state.userName, other.accessKeyId));
    state.otherKeyAction = active ? 'deleted-active' : 'deleted-inactive';
    deps.progress.step(
      'make room',
      `deleted the ${active ? 'active' : 'inactive'} other key ${maskKeyId(other.accessKeyId)}`,
    );
  }
  state.keys = state.keys.filter((k) => k.accessKeyId === state.oldKeyId);
}

function heldByJournal(state: RotationState, keyId: string, entry: JournalEntryLike | null): KeyrotError {
  const where = entry
    ? `an unfinished rotation of ${maskKeyId(entry.oldKeyId)} (profile ${entry.profile}, started ${entry.startedAt.slice(0, 16).replace('T', ' ')} UTC) holds it, for ${entry.files.map((f) => f.path).join(', ')}`
    : 'a damaged journal entry names it';
  const fix = entry
    ? `Finish that rotation first: \`keyrot rotate-now --profile ${entry.profile}\` with the file that holds ${maskKeyId(entry.oldKeyId)} or ${maskKeyId(entry.newKeyId ?? entry.oldKeyId)} (\`keyrot status\` lists it).`
    : "Check the user's keys in IAM and the journal (`keyrot status`) before removing anything.";
  return new KeyrotError(
    'OTHER_KEY_ACTIVE',
    `profile "${state.request.profile}": ${state.userArn} has a second key, ${maskKeyId(keyId)}, which keyrot will not delete: ${where}. Nothing was changed.`,
    { hint: fix },
  );
}

/** "last used 2026-11-20 by s3 in eu-west-1", or why it is unknown. */
async function lastUse(state: RotationState, deps: RotationDeps, keyId: string): Promise<string> {
  try {
    const used = await withMfa(state, deps, state.oldCredentials!, (c) =>
      deps.iam.getAccessKeyLastUsed(c, keyId),
    );
    if (!used.lastUsedDate) return 'never used';
    const service = used.serviceName ? ` by ${used.serviceName}` : '';
    const region = used.region ? ` in ${used.region}` : '';
    return `last used ${used.lastUsedDate.toISOString().replace('T', ' ').slice(0, 16)} UTC${service}${region}`;
  } catch (error) {
    if (isKeyrotError(error, 'MFA_REQUIRED')) throw error;
    return 'last use unknown';
  }
}
