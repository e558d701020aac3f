import type { FileBytes } from '../../keychain/backups.js';
import type { RotationDeps, RotationFile } from '../ports.js';
import type { RotationState } from '../state.js';

/** Step 8: copies each file of the rotation that still holds the old key id into a keychain backup. */
export async function backupFiles(state: RotationState, deps: RotationDeps): Promise<void> {
  for (const { file, content } of await filesToBackUp(state.files, state.oldKeyId, deps)) {
    const info = await deps.backups.backup(content, {
      file,
      reason: `before rotating profile ${state.request.profile}`,
      reserved: state.backupsAhead,
    });
    // The first file's backup (the credentials file, where the profile usually is) is the one reported.
    state.backupId ??= info.id;
    deps.progress.step(
      'backup',
      info.reused
        ? `${file} is unchanged since backup ${info.id} in the keychain; reused it`
        : `${file} saved in the keychain as backup ${info.id}`,
    );
  }
}

/**
 * Step 4's share of step 8: chooses the backups step 8 will store (of `files` as they are now, while
 * they are still being found), so that the journal's intent lists their names in the index write it
 * makes anyway and step 8 makes none. Never rejects: this only saves a write, so after a failure step 8
 * lists its backups itself, as it would.
 */
export async function reserveBackups(
  state: RotationState,
  deps: RotationDeps,
  files: Promise<RotationFile[]>,
): Promise<void> {
  try {
    const contents = files.then((found) => filesToBackUp(found, state.oldKeyId, deps));
    state.backupsAhead = await deps.backups.reserve(contents);
  } catch {
    state.backupsAhead = undefined;
  }
}

// Each of `files` that still holds the old key id, as bytes, not text: a restore must give back the
// file exactly (a BOM, CRLF, a Latin-1 comment).
async function filesToBackUp(
  files: RotationFile[],
  oldKeyId: string,
  deps: RotationDeps,
): Promise<FileBytes[]> {
  const found: FileBytes[] = [];
  for (const { path } of files) {
    const content = await deps.files.readBytes(path);
    if (content?.includes(oldKeyId)) found.push({ file: path, content });
  }
  return found;
}
