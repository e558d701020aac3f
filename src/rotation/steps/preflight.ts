import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';
import { reserveBackups } from './backup-files.js';

/**
 * Step 4, before any IAM write: every file holding the old key can be replaced by keyrot's atomic
 * rename (else exit 3, nothing changed), and the keychain keeps the journal's intent — which records the
 * files to rewrite and the keys the user has now, and whose index write lists the backups of step 8
 * too. A dry run checks the files without writing anything.
 */
export async function preflight(state: RotationState, deps: RotationDeps): Promise<void> {
  const holding = deps.files.holding(state.oldKeyId);
  const dryRun = state.request.dryRun;
  // Only reads (the files, the backup catalog): under way while the files are found and checked.
  const reserving = dryRun ? undefined : reserveBackups(state, deps, holding);
  state.files = await holding;
  await deps.files.checkReplaceable(state.files, {
    allowHardlink: Boolean(state.request.allowHardlink),
    probe: !dryRun,
  });
  deps.progress.step('pre-flight', `can replace ${state.files.map((f) => f.path).join(', ')}`);
  if (dryRun) return;
  await reserving;
  await deps.journal.begin(
    {
      userArn: state.userArn,
      oldKeyId: state.oldKeyId,
      profile: state.request.profile,
      files: state.files,
      keysBefore: state.keys.map((k) => k.accessKeyId),
    },
    state.backupsAhead?.changes,
  );
}
