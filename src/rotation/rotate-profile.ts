import { mergedProfileValues } from '../credentials/read.js';
import { isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { maskKeyId } from '../errors/redact.js';
import { utcMinute } from '../time/days.js';
import type { JournalEntryLike, RotationDeps, RotationRequest, RotationResult } from './ports.js';
import { newState, type RotationState, resultOf } from './state.js';
import { backupFiles } from './steps/backup-files.js';
import { createKey } from './steps/create-key.js';
import { finish } from './steps/finish.js';
import { settleWindow } from './steps/grace-window.js';
import { identify, identifyAhead, readProfileKey } from './steps/identify.js';
import { expireGrace, inspect } from './steps/inspect.js';
import { makeRoom } from './steps/make-room.js';
import { preflight } from './steps/preflight.js';
import { proveKey } from './steps/prove-key.js';
import { resume } from './steps/resume.js';
import { retireOldKey } from './steps/retire-old-key.js';
import { rewriteFiles } from './steps/rewrite-files.js';

/** How often a run waiting for another rotation's lock says so. */
const WAIT_REPORT_MS = 10_000;

/**
 * Rotates the key behind one profile by the protocol of docs/rotation-protocol.md. One rotation per IAM
 * user at a time, whatever the profiles, files and processes: a lock named by the key (before any AWS
 * call), then one named by the user. A run that waited and finds its profile already holding another key
 * reports `already-rotated` without touching IAM. Throws KeyrotError for refusals (exit 3), a lock that
 * stays held (4), a needed person (5).
 */
export async function rotateProfile(request: RotationRequest, wired: RotationDeps): Promise<RotationResult> {
  const deps = await scopeToProfile(wired, request.profile);
  const state = newState(request, deps);
  const startKeyId = await readProfileKey(state, deps);
  // A dry run changes nothing, so it neither needs nor blocks on the locks.
  if (request.dryRun) return planRotation(state, deps);
  if (request.startKeyId && startKeyId !== request.startKeyId) {
    state.oldKeyId = request.startKeyId;
    return alreadyRotated(state, deps, startKeyId);
  }
  // The key lock is that of the key the profile holds, or, when the profile holds the new key of a
  // rotation under way, that rotation's old key: runs that start from either key exclude each other.
  // The journal is read once the profile's own key lock is held, so the usual run (no rotation under
  // way, or one replacing this key) reads it once; a profile on an entry's new key moves to that
  // entry's lock and reads it again there.
  let releaseKey = await takeLock(deps, 'key', startKeyId);
  try {
    const replaced = await replacedMeanwhile(state, deps, startKeyId);
    if (replaced) return alreadyRotated(state, deps, replaced);
    // STS is asked whose key it is while the journal is read, so the two round trips overlap; its
    // answer is taken by identify, if the run needs it.
    identifyAhead(state, deps);
    let entry = await deps.journal.find(startKeyId);
    if (entry && entry.oldKeyId !== startKeyId) {
      const release = releaseKey;
      releaseKey = async () => {};
      await release();
      releaseKey = await takeLock(deps, 'key', entry.oldKeyId);
      const replacedThen = await replacedMeanwhile(state, deps, startKeyId);
      if (replacedThen) return alreadyRotated(state, deps, replacedThen);
      entry = await deps.journal.find(startKeyId);
    }
    if (!entry) await identify(state, deps);
    const releaseUser = await takeLock(deps, 'user', entry?.userArn ?? state.userArn);
    try {
      const replacedToo = await replacedMeanwhile(state, deps, startKeyId);
      if (replacedToo) return alreadyRotated(state, deps, replacedToo);
      return await rotateLocked(state, deps, entry);
    } finally {
      await releaseUser();
    }
  } finally {
    await releaseKey();
  }
}

/** The protocol once the key's and the user's locks are held: resume, or steps 3–11. */
async function rotateLocked(
  first: RotationState,
  deps: RotationDeps,
  found: JournalEntryLike | null,
): Promise<RotationResult> {
  let entry = found;
  let state = first;
  if (entry?.phase === 'retiring' && entry.newKeyId === state.oldKeyId) {
    // The profile holds the key an earlier rotation created; that rotation's old key is in its grace
    // window. Close it when its time has come, then check the current key as usual.
    const windowState = await settleWindow(state, deps, entry, { early: false });
    if (windowState !== 'closed') state.openWindow = entry;
    await identify(state, deps);
    entry = null;
  }
  if (entry) {
    const done = await resume(state, deps, entry);
    if (done) return done;
    // Only an intent was left: the fresh rotation below remembers that it resumed.
    state = { ...newState(state.request, deps), resumed: true, otherKeyAction: state.otherKeyAction };
    await identify(state, deps);
  }
  const notDue = await readyToCreate(state, deps);
  if (notDue) return notDue;
  await createKey(state, deps);
  // Both must finish before the file is touched; they are independent, so they overlap.
  await Promise.all([proveKey(state, deps), backupFiles(state, deps)]);
  await rewriteFiles(state, deps);
  await retireOldKey(state, deps);
  return finish(state, deps);
}

/** A dry run: what the rotation would do, with the same checks and nothing changed. */
async function planRotation(state: RotationState, deps: RotationDeps): Promise<RotationResult> {
  const entry = await deps.journal.find(state.oldKeyId);
  if (entry?.phase === 'retiring' && entry.newKeyId === state.oldKeyId) {
    state.openWindow = entry;
    const until = entry.retireAt!;
    state.oldKeyWindow = { keyId: entry.oldKeyId, until, state: 'open' };
    if (deps.clock.now().getTime() >= Date.parse(until)) {
      state.plan.push(
        `retire the old key ${maskKeyId(entry.oldKeyId)}, whose grace window ended ${utcMinute(until)}`,
      );
    }
  } else if (entry) {
    state.resumed = true;
    state.oldKeyId = entry.oldKeyId;
    state.userArn = entry.userArn;
    state.files = entry.files;
    state.plan.push(
      `resume the interrupted rotation of ${maskKeyId(entry.oldKeyId)} (after "${entry.phase}"), rewriting ${entry.files.map((f) => f.path).join(', ')}`,
    );
    return resultOf(state, deps, 'dry-run');
  }
  await identify(state, deps);
  const notDue = await readyToCreate(state, deps);
  if (notDue) return notDue;
  state.plan.push(
    `create a new key for ${state.userArn}`,
    'prove it with STS, back up the files to the keychain',
    `write it into every profile holding ${maskKeyId(state.oldKeyId)} (${state.files.map((f) => f.path).join(', ')})`,
    state.policy.oldKeyActiveHours > 0
      ? `keep ${maskKeyId(state.oldKeyId)} active for ${state.policy.oldKeyActiveHours} h (old_key_active_hours), then ${state.policy.oldKey === 'delete' ? 'delete' : 'deactivate'} it`
      : `${state.policy.oldKey === 'delete' ? 'delete' : 'deactivate'} ${maskKeyId(state.oldKeyId)}`,
  );
  state.oldKeyAction = state.policy.oldKey === 'delete' ? 'would-delete' : 'would-deactivate';
  return resultOf(state, deps, 'dry-run');
}

/**
 * Steps 3–5: inspect; a key not due (and not forced) ends the run as `not-due`, after the grace-period
 * clean-up. Otherwise the pre-flight and make-room; returns null when a key may be created.
 */
async function readyToCreate(state: RotationState, deps: RotationDeps): Promise<RotationResult | null> {
  await inspect(state, deps);
  if (!state.due && !state.request.force) {
    await expireGrace(state, deps);
    deps.progress.step('done', `not due until ${state.dueAt.slice(0, 10)}; nothing to rotate`);
    const result = resultOf(state, deps, 'not-due');
    // What became of an old key's grace window is news for the state file's readers too.
    if (state.oldKeyWindow && !state.request.dryRun)
      await deps.recorder?.record(result).catch(() => undefined);
    return result;
  }
  // A rotation due while an earlier one's old key is in its grace window: that key takes the slot the
  // new key needs, so it is retired first (refused while it is still used, see grace-window.ts).
  if (state.openWindow) {
    const window = state.openWindow;
    state.openWindow = undefined;
    if (state.request.dryRun) {
      state.plan.push(
        `retire the old key ${maskKeyId(window.oldKeyId)} before its grace window ends (${utcMinute(window.retireAt!)}), unless it is still used`,
      );
      state.keys = state.keys.filter((k) => k.accessKeyId !== window.oldKeyId);
    } else await settleWindow(state, deps, window, { early: true });
  }
  await preflight(state, deps);
  try {
    await makeRoom(state, deps);
  } catch (error) {
    // Refused: nothing was created, so the intent goes (a later run must not take it for a crash).
    if (!state.request.dryRun) await deps.journal.finish(state).catch(() => undefined);
    throw error;
  }
  return null;
}

/** Takes a lock named by a key id or a user ARN, telling the person when it starts waiting and every 10 s. */
export async function takeLock(
  deps: RotationDeps,
  kind: 'key' | 'user',
  name: string,
): Promise<() => Promise<void>> {
  const what = kind === 'key' ? `key ${maskKeyId(name)}` : name;
  let told = -Infinity;
  try {
    return await deps.lock(kind, name, (waitedMs, holder) => {
      if (waitedMs - told < WAIT_REPORT_MS) return;
      told = waitedMs;
      deps.progress.step(
        'wait',
        `another rotation of ${what} is running (${holder}); waited ${Math.round(waitedMs / 1000)} s`,
      );
    });
  } catch (error) {
    if (!isKeyrotError(error, 'LOCKED')) throw error;
    throw new KeyrotError('LOCKED', `another rotation of ${what} is still running: ${error.message}`, {
      hint: 'Run keyrot again once it has finished: it then sees the new key and has nothing to do.',
      cause: error,
    });
  }
}

/** The key the profile holds now when it is no longer `startKeyId` (another rotation replaced it). */
async function replacedMeanwhile(
  state: RotationState,
  deps: RotationDeps,
  startKeyId: string,
): Promise<string | undefined> {
  const now = mergedProfileValues(await deps.files.read(), state.request.profile)?.aws_access_key_id;
  return now && now !== startKeyId ? now : undefined;
}

function alreadyRotated(state: RotationState, deps: RotationDeps, current: string): RotationResult {
  const profile = state.request.profile;
  deps.progress.step(
    'done',
    `profile ${profile} already holds ${maskKeyId(current)}, not ${maskKeyId(state.oldKeyId)}: another rotation of that key finished first`,
  );
  deps.logger.info('already rotated', {
    profile,
    oldKeyId: maskKeyId(state.oldKeyId),
    currentKeyId: maskKeyId(current),
  });
  return { ...resultOf(state, deps, 'already-rotated'), newKeyId: current };
}

/** The deps with the STS and IAM ports of `profile` (its own region and endpoints). */
export async function scopeToProfile(deps: RotationDeps, profile: string): Promise<RotationDeps> {
  return deps.awsFor ? { ...deps, ...(await deps.awsFor(profile)) } : deps;
}
