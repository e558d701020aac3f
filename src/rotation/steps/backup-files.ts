import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

/** Step 8: copies each file of the rotation that still holds the old key id into a keychain backup. */
export async function backupFiles(state: RotationState, deps: RotationDeps): Promise<void> {
  for (const { path } of state.files) {
    // Bytes, not text: a restore must give back the file exactly (a BOM, CRLF, a Latin-1 comment).
    const bytes = await deps.files.readBytes(path);
    if (bytes === null || !bytes.includes(state.oldKeyId)) continue;
    const info = await deps.backups.backup(bytes, {
      file: path,
      reason: `before rotating profile ${state.request.profile}`,
    });
    // The first file's backup (the credentials file, where the profile usually is) is the one reported.
    state.backupId ??= info.id;
    deps.progress.step(
      'backup',
      info.reused
        ? `${path} is unchanged since backup ${info.id} in the keychain; reused it`
        : `${path} saved in the keychain as backup ${info.id}`,
    );
  }
}
