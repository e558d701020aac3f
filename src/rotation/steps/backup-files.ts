import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

/** Step 7: copies each AWS file that still holds the old key id into a keychain backup. */
export async function backupFiles(state: RotationState, deps: RotationDeps): Promise<void> {
  const { credentialsFile, configFile } = deps.files.paths;
  for (const file of [credentialsFile, configFile]) {
    const text = await deps.files.readText(file);
    if (text === null || !text.includes(state.oldKeyId)) continue;
    const info = await deps.backups.backup(text, {
      file,
      reason: `before rotating profile ${state.request.profile}`,
    });
    // The credentials file's backup is the one a person restores; report it first.
    state.backupId ??= info.id;
    deps.progress.step('backup', `${file} saved in the keychain as backup ${info.id}`);
  }
}
