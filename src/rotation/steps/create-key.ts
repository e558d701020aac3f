import { isDefiniteRefusal, isTransient } from '../../aws/errors.js';
import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { journalHeldKeys } from '../journal-held.js';
import { withMfa } from '../mfa.js';
import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';
import { askStsAhead } from '../sts-ahead.js';

const ATTEMPTS = 3;

/**
 * Step 6 (the intent is journaled by the pre-flight): CreateAccessKey, and journal the new key and secret
 * at once. When the answer to CreateAccessKey is lost (reset, timeout, 5xx), a key may exist whose secret
 * nobody holds: delete such orphans before trying again, so the user never ends up with a key no one can use.
 */
export async function createKey(state: RotationState, deps: RotationDeps): Promise<void> {
  const signer = state.oldCredentials!;
  // Every key the user has now (make-room left only the old one) existed before this rotation.
  const before = state.keys.map((k) => k.accessKeyId);
  // Whether an earlier attempt's answer was lost: that request may still create a key after we looked.
  let answerLost = false;
  for (let attempt = 1; ; attempt += 1) {
    let created: { accessKeyId: string; secretAccessKey: string };
    try {
      created = await withMfa(state, deps, signer, (c) => deps.iam.createAccessKey(c, state.userName));
    } catch (error) {
      if (isDefiniteRefusal(error)) {
        // A lost attempt that IAM ran late takes the room this one needed (LimitExceeded): remove that
        // secretless key and try again.
        if (answerLost && attempt < ATTEMPTS && (await deleteOrphans(state, deps, before)) > 0) continue;
        // IAM said no: this call created nothing. The intent goes unless an answer was lost, since the
        // next run must then delete whatever that lost request creates.
        if (!answerLost) await deps.journal.finish(state);
        throw error;
      }
      // No answer, or one we could not read: a key may exist whose secret we never saw. The journal stays
      // at "intent" until such orphans are gone, so a crash here is cleaned up by the next run.
      answerLost = true;
      await deleteOrphans(state, deps, before);
      if (!isTransient(error) || attempt >= ATTEMPTS) throw error;
      deps.progress.step('create', `CreateAccessKey did not answer; retrying (${attempt}/${ATTEMPTS - 1})`);
      continue;
    }
    // Step 7's first STS question goes out while the key is journaled (it reads, and counts only after).
    askStsAhead(state, deps, created);
    try {
      await deps.journal.recordNewKey(state, created.accessKeyId, created.secretAccessKey);
    } catch (error) {
      // Without a durable copy of the secret the key must not survive this run.
      await withMfa(state, deps, signer, (c) =>
        deps.iam.deleteAccessKey(c, state.userName, created.accessKeyId),
      ).catch(() => undefined);
      await deps.journal.finish(state).catch(() => undefined);
      throw new KeyrotError(
        'KEYCHAIN_FAILED',
        'could not save the new key in the keychain; it was deleted again',
        {
          cause: error,
        },
      );
    }
    state.newKey = created;
    deps.progress.step('create', `created ${maskKeyId(created.accessKeyId)} and saved it in the journal`);
    return;
  }
}

/**
 * Deletes every key of the user that is neither the old one nor among `before` (the keys the user had when
 * the intent was journaled): keys an interrupted CreateAccessKey made whose secret was never recorded.
 * A key another journal entry holds is never deleted. Returns how many were deleted.
 */
export async function deleteOrphans(
  state: RotationState,
  deps: RotationDeps,
  before: readonly string[],
): Promise<number> {
  const signer = state.oldCredentials!;
  const keys = await withMfa(state, deps, signer, (c) => deps.iam.listAccessKeys(c, state.userName));
  const strangers = keys.filter((k) => k.accessKeyId !== state.oldKeyId && !before.includes(k.accessKeyId));
  if (strangers.length === 0) return 0;
  const held = await journalHeldKeys(deps, state.userArn, state);
  let deleted = 0;
  for (const key of strangers) {
    if (held.has(key.accessKeyId)) continue;
    await withMfa(state, deps, signer, (c) => deps.iam.deleteAccessKey(c, state.userName, key.accessKeyId));
    state.otherKeyAction = 'deleted-orphan';
    deps.progress.step(
      'clean up',
      `deleted ${maskKeyId(key.accessKeyId)}, created by an interrupted run without its secret`,
    );
    deleted += 1;
  }
  return deleted;
}
