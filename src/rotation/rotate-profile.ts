import { maskKeyId } from '../errors/redact.js';
import type { RotationDeps, RotationRequest, RotationResult } from './ports.js';
import { newState, resultOf } from './state.js';
import { backupFiles } from './steps/backup-files.js';
import { createKey } from './steps/create-key.js';
import { finish } from './steps/finish.js';
import { identify } from './steps/identify.js';
import { expireGrace, inspect } from './steps/inspect.js';
import { makeRoom } from './steps/make-room.js';
import { proveKey } from './steps/prove-key.js';
import { resume } from './steps/resume.js';
import { retireOldKey } from './steps/retire-old-key.js';
import { rewriteFiles } from './steps/rewrite-files.js';

/**
 * Rotates the key behind one profile by the protocol of docs/rotation-protocol.md, under the profile's
 * inter-process lock. Throws KeyrotError for refusals (exit 3), a held lock (4), a needed person (5).
 */
export async function rotateProfile(request: RotationRequest, wired: RotationDeps): Promise<RotationResult> {
  const deps = await scopeToProfile(wired, request.profile);
  // A dry run changes nothing, so it neither needs nor blocks on the lock.
  const release = request.dryRun ? async () => undefined : await deps.lock(request.profile);
  try {
    let state = newState(request, deps);
    const entry = await deps.journal.get(request.profile);
    if (entry && request.dryRun) {
      state.resumed = true;
      state.oldKeyId = entry.oldKeyId;
      state.userArn = entry.userArn ?? '';
      state.plan.push(
        `resume the interrupted rotation of ${maskKeyId(entry.oldKeyId)} (after "${entry.phase}")`,
      );
      return resultOf(state, deps, 'dry-run');
    }
    if (entry) {
      const done = await resume(state, deps, entry);
      if (done) return done;
      // Only an intent was left: the fresh rotation below remembers that it resumed.
      const cleaned = state.otherKeyAction;
      state = { ...newState(request, deps), resumed: true, otherKeyAction: cleaned };
    }

    await identify(state, deps);
    await inspect(state, deps);
    if (!state.due && !request.force) {
      await expireGrace(state, deps);
      deps.progress.step('done', `not due until ${state.dueAt.slice(0, 10)}; nothing to rotate`);
      return resultOf(state, deps, 'not-due');
    }
    await makeRoom(state, deps);
    if (request.dryRun) {
      state.plan.push(
        `create a new key for ${state.userArn}`,
        'prove it with STS, back up the files to the keychain',
        `write it into every profile holding ${maskKeyId(state.oldKeyId)}`,
        `${state.policy.oldKey === 'delete' ? 'delete' : 'deactivate'} ${maskKeyId(state.oldKeyId)}`,
      );
      state.oldKeyAction = state.policy.oldKey === 'delete' ? 'would-delete' : 'would-deactivate';
      return resultOf(state, deps, 'dry-run');
    }
    await createKey(state, deps);
    // Both must finish before the file is touched; they are independent, so they overlap.
    await Promise.all([proveKey(state, deps), backupFiles(state, deps)]);
    await rewriteFiles(state, deps);
    await retireOldKey(state, deps);
    return await finish(state, deps);
  } finally {
    await release();
  }
}

/** The deps with the STS and IAM ports of `profile` (its own region and endpoints). */
export async function scopeToProfile(deps: RotationDeps, profile: string): Promise<RotationDeps> {
  return deps.awsFor ? { ...deps, ...(await deps.awsFor(profile)) } : deps;
}
