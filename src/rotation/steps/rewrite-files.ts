import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import type { RotationDeps } from '../ports.js';
import { mergedProfile } from '../profile-kind.js';
import type { RotationState } from '../state.js';

/**
 * Step 8: puts the new key into every profile of both files that holds the old key id (one atomic
 * write per file), then reads the files back and checks the profile resolves to the new key.
 */
export async function rewriteFiles(state: RotationState, deps: RotationDeps): Promise<void> {
  const key = state.newKey!;
  const updated = await deps.files.replaceKeyId(state.oldKeyId, key);
  state.updated = [...(state.updated ?? []), ...updated.filter((u) => u.profiles.length > 0)];
  const files = await deps.files.read();
  const resolved = mergedProfile(files, state.request.profile) ?? {};
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
      `after the rewrite, profile "${state.request.profile}" does not resolve to the new key`,
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
