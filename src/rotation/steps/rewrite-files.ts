import { mergedProfileValues } from '../../credentials/read.js';
import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import type { RotationDeps } from '../ports.js';
import { addWarning, type RotationState } from '../state.js';

/**
 * Step 9: puts the new key into every profile of the rotation's files that holds the old key id (one
 * atomic write per file), then reads the files back and checks the profile resolves to the new key. The
 * profile must hold the old or the new key, before and after: if it holds neither, someone else rotated it
 * or restored a backup, and the rotation stops (exit 3) rather than guess or retry.
 */
export async function rewriteFiles(state: RotationState, deps: RotationDeps): Promise<void> {
  const key = state.newKey!;
  const profile = state.request.profile;
  const before = mergedProfileValues(await deps.files.read(), profile)?.aws_access_key_id;
  if (before !== state.oldKeyId && before !== key.accessKeyId) throw changedUnderneath(state, deps, before);
  const updated = await deps.files.replaceKeyId(state.files, state.oldKeyId, key, (message) =>
    addWarning(state, deps, message),
  );
  state.updated = [...(state.updated ?? []), ...updated.filter((u) => u.profiles.length > 0)];
  const files = await deps.files.read();
  const resolved = mergedProfileValues(files, profile) ?? {};
  if (resolved.aws_access_key_id !== state.oldKeyId && resolved.aws_access_key_id !== key.accessKeyId) {
    throw changedUnderneath(state, deps, resolved.aws_access_key_id);
  }
  const stale = [...files.credentials, ...files.config].filter(
    ([, s]) => s.aws_access_key_id === state.oldKeyId,
  );
  if (
    resolved.aws_access_key_id !== key.accessKeyId ||
    resolved.aws_secret_access_key !== key.secretAccessKey ||
    stale.length > 0
  ) {
    throw new KeyrotError(
      'ROTATION_FAILED',
      `after the rewrite, profile "${profile}" does not resolve to the new key${stale.length > 0 ? ` (${stale.map(([p]) => p).join(', ')} still hold the old key)` : ''}`,
      {
        hint: 'The old key is still active and the new one is in the journal; run `keyrot rotate-now` again.',
      },
    );
  }
  const names = state.updated.flatMap((u) => u.profiles.map((p) => `${p} (${u.file})`));
  deps.progress.step(
    'rewrite',
    `${maskKeyId(key.accessKeyId)} now in ${names.join(', ') || 'the file (already there)'}`,
  );
}

/** The profile holds neither key of this rotation: say so truthfully, and how to finish. */
function changedUnderneath(state: RotationState, deps: RotationDeps, holds: string | undefined): KeyrotError {
  const profile = state.request.profile;
  const oldKey = maskKeyId(state.oldKeyId);
  const newKey = maskKeyId(state.newKey!.accessKeyId);
  const now = holds ? `now holds ${maskKeyId(holds)}` : 'now holds no access key';
  return new KeyrotError(
    'PROFILE_CHANGED',
    `profile "${profile}" ${now}: neither ${oldKey}, which this rotation replaces, nor its new key ${newKey}. Something else changed ${deps.files.paths.credentialsFile} during the rotation (another tool, or a restored backup); keyrot did not write it.`,
    {
      hint: `The journal keeps ${newKey} and its secret. To finish this rotation, put ${oldKey} back in profile "${profile}" (\`keyrot backup list\`) and run \`keyrot rotate-now --profile ${profile}\` again; \`keyrot status\` lists the unfinished rotation.`,
    },
  );
}
