import { isDefiniteRefusal, isTransient } from '../../aws/errors.js';
import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { withMfa } from '../mfa.js';
import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

// A key created by us can only be told from a stranger's by its creation time; allow for clock skew.
const SKEW_MS = 5 * 60_000;
const ATTEMPTS = 3;

/**
 * Step 5: journal the intent, CreateAccessKey, and journal the new key and secret at once. When the
 * answer to CreateAccessKey is lost (reset, timeout, 5xx), a key may exist whose secret nobody holds:
 * delete such orphans before trying again, so the user never ends up with a key no one can use.
 */
export async function createKey(state: RotationState, deps: RotationDeps): Promise<void> {
  const profile = state.request.profile;
  const signer = state.oldCredentials!;
  await deps.journal.begin(profile, state.oldKeyId, { userArn: state.userArn });
  const intentAt = deps.clock.now().getTime();
  for (let attempt = 1; ; attempt += 1) {
    let created: { accessKeyId: string; secretAccessKey: string };
    try {
      created = await withMfa(state, deps, signer, (c) => deps.iam.createAccessKey(c, state.userName));
    } catch (error) {
      if (isDefiniteRefusal(error)) {
        // IAM said no (limit, denied): nothing was created; forget the intent.
        await deps.journal.finish(profile);
        throw error;
      }
      // No answer, or one we could not read: a key may exist whose secret we never saw. The journal stays
      // at "intent" until such orphans are gone, so a crash here is cleaned up by the next run.
      await deleteOrphans(state, deps, intentAt);
      if (!isTransient(error) || attempt >= ATTEMPTS) {
        await deps.journal.finish(profile);
        throw error;
      }
      deps.progress.step('create', `CreateAccessKey did not answer; retrying (${attempt}/${ATTEMPTS - 1})`);
      continue;
    }
    try {
      await deps.journal.recordNewKey(profile, created.accessKeyId, created.secretAccessKey);
    } catch (error) {
      // Without a durable copy of the secret the key must not survive this run.
      await withMfa(state, deps, signer, (c) =>
        deps.iam.deleteAccessKey(c, state.userName, created.accessKeyId),
      ).catch(() => undefined);
      await deps.journal.finish(profile).catch(() => undefined);
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
 * Deletes every key of the user other than the old one created since `sinceMs`: keys an interrupted
 * CreateAccessKey made whose secret was never recorded. Returns how many were deleted.
 */
export async function deleteOrphans(
  state: RotationState,
  deps: RotationDeps,
  sinceMs: number,
): Promise<number> {
  const signer = state.oldCredentials!;
  const keys = await withMfa(state, deps, signer, (c) => deps.iam.listAccessKeys(c, state.userName));
  let deleted = 0;
  for (const key of keys) {
    if (key.accessKeyId === state.oldKeyId || key.createDate.getTime() < sinceMs - SKEW_MS) continue;
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
