import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

/** Step 7: copies each file of the rotation that still holds the old key id into a keychain backup. */
export async function backupFiles(state: RotationState, deps: RotationDeps): Promise<void> {
  for (const { path } of state.files) {
    const text = await deps.files.readText(path);
    if (text === null || !text.includes(state.oldKeyId)) continue;
    const info = await deps.backups.backup(text, {
      file: path,
      reason: `before rotating profile ${state.request.profile}`,
    });
    // The first file's backup (the credentials file, where the profile usually is) is the one reported.
    state.backupId ??= info.id;
    deps.progress.step('backup', `${path} saved in the keychain as backup ${info.id}`);
  }
}
