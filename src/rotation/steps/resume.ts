import { isRejectedKey } from '../../aws/errors.js';
import { mergedProfileValues } from '../../credentials/read.js';
import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { keyAge } from '../../time/days.js';
import { withMfa } from '../mfa.js';
import type { JournalEntryLike, RotationDeps, RotationResult } from '../ports.js';
import { type RotationState, userNameFromArn } from '../state.js';
import { backupFiles } from './backup-files.js';
import { deleteOrphans } from './create-key.js';
import { finish } from './finish.js';
import { proveKey } from './prove-key.js';
import { retireOldKey } from './retire-old-key.js';
import { rewriteFiles } from './rewrite-files.js';

/**
 * Step 1: continues the rotation an earlier run left in the journal, which concerns this run's key (the
 * profile holds its old or its new key). With a recorded new key it adopts that key and runs steps 7–11
 * (each is idempotent) over the entry's files and this run's; with only an intent it deletes any key the
 * lost CreateAccessKey answer left behind. Returns the result, or null when a fresh rotation should follow.
 */
export async function resume(
  state: RotationState,
  deps: RotationDeps,
  entry: JournalEntryLike,
): Promise<RotationResult | null> {
  const profile = state.request.profile;
  state.resumed = true;
  state.oldKeyId = entry.oldKeyId;
  state.userArn = entry.userArn;
  state.userName = userNameFromArn(entry.userArn);
  const settings = mergedProfileValues(await deps.files.read(), profile) ?? {};
  state.oldCredentials =
    settings.aws_access_key_id === entry.oldKeyId && settings.aws_secret_access_key
      ? { accessKeyId: entry.oldKeyId, secretAccessKey: settings.aws_secret_access_key }
      : undefined;
  deps.progress.step(
    'resume',
    `continuing the rotation of ${maskKeyId(entry.oldKeyId)} interrupted after "${entry.phase}" (${entry.files.map((f) => f.path).join(', ')})`,
  );

  if (!entry.newKeyId || !entry.newSecret) {
    if (!state.oldCredentials) {
      // find() matched the old key, so the file changed between that read and this one.
      throw new KeyrotError(
        'ROTATION_FAILED',
        `profile "${profile}" no longer holds ${maskKeyId(entry.oldKeyId)}, which an interrupted rotation was replacing`,
        {
          hint: 'Check the file (`keyrot backup list` shows earlier copies), then run `keyrot rotate-now` again.',
        },
      );
    }
    await deleteOrphans(state, deps, entry.keysBefore);
    await deps.journal.finish(entry);
    return null;
  }

  state.newKey = { accessKeyId: entry.newKeyId, secretAccessKey: entry.newSecret };
  // Its old key is in its grace window: the files this run adds join it, the deadline stays.
  if (entry.phase === 'retiring')
    state.keptWindow = { rewrittenAt: entry.rewrittenAt!, retireAt: entry.retireAt! };
  // This run's files holding the old key are rewritten too (the same key may sit in files of other runs).
  const mine = state.oldCredentials ? await deps.files.holding(entry.oldKeyId) : [];
  const added = mine.filter((f) => !entry.files.some((e) => e.path === f.path));
  if (added.length > 0) {
    await deps.files.checkReplaceable(added, {
      allowHardlink: Boolean(state.request.allowHardlink),
      probe: true,
    });
    await deps.journal.addFiles(entry, added);
  }
  state.files = [...entry.files, ...added];
  if (state.oldCredentials) {
    try {
      state.keys = await withMfa(state, deps, state.oldCredentials, (c) =>
        deps.iam.listAccessKeys(c, state.userName),
      );
    } catch (error) {
      // The old key may already be deactivated by the interrupted run; the new key carries on.
      if (!isRejectedKey(error)) throw error;
    }
    if (state.keys.length > 0 && !state.keys.some((k) => k.accessKeyId === entry.newKeyId)) {
      deps.progress.step('resume', `${maskKeyId(entry.newKeyId)} no longer exists in IAM; starting over`);
      await deps.journal.finish(entry);
      state.newKey = undefined;
      return null;
    }
    const old = state.keys.find((k) => k.accessKeyId === entry.oldKeyId);
    if (old) {
      const age = keyAge(old.createDate, state.policy, deps.clock.now());
      state.ageDays = age.ageDays;
      state.dueAt = age.dueAt.toISOString();
    }
  }
  await Promise.all([proveKey(state, deps), backupFiles(state, deps)]);
  await rewriteFiles(state, deps);
  await retireOldKey(state, deps);
  return finish(state, deps);
}
