import { awsErrorName, isRejectedKey, isTransient } from '../../aws/errors.js';
import type { AwsCredentials } from '../../aws/types.js';
import { maskKeyId } from '../../errors/redact.js';
import { utcMinute } from '../../time/days.js';
import { withRetry } from '../../time/retry.js';
import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Step 10: deactivates (or, by policy, deletes) the old key, signed with the NEW key — which also proves
 * IAM accepts it. Retries while IAM still rejects the new key. A key already gone counts as retired.
 * With old_key_active_hours > 0 (or when resuming a rotation whose window is open) the old key stays
 * active instead, and the journal records until when (steps/grace-window.ts).
 */
export async function retireOldKey(state: RotationState, deps: RotationDeps): Promise<void> {
  if (state.keptWindow || state.policy.oldKeyActiveHours > 0) {
    await openWindow(state, deps);
    return;
  }
  const remove = state.policy.oldKey === 'delete';
  await retireKey(state, deps, state.mfaSession ?? state.newKey!, state.oldKeyId);
  state.oldKeyAction = remove ? 'deleted' : 'deactivated';
  deps.progress.step(
    'retire',
    `${remove ? 'deleted' : 'deactivated'} the old key ${maskKeyId(state.oldKeyId)}`,
  );
}

/**
 * Step 10 with a window: the old key stays active; the journal entry turns `retiring` with the time of
 * the rewrite and the deadline (a resumed entry keeps its own), and keeps the entry past step 11.
 */
async function openWindow(state: RotationState, deps: RotationDeps): Promise<void> {
  const now = deps.clock.now();
  const window = state.keptWindow ?? {
    rewrittenAt: now.toISOString(),
    retireAt: new Date(now.getTime() + state.policy.oldKeyActiveHours * HOUR_MS).toISOString(),
  };
  await deps.journal.openWindow(state, window);
  state.oldKeyAction = 'kept-active';
  state.oldKeyWindow = { keyId: state.oldKeyId, until: window.retireAt, state: 'open' };
  deps.progress.step(
    'retire',
    `the old key ${maskKeyId(state.oldKeyId)} stays active until ${utcMinute(window.retireAt)} (old_key_active_hours)`,
  );
}

/**
 * Deactivates `keyId` (or deletes it, `old_key = delete`) signed with `signer`, retrying while IAM still
 * rejects a new signer; a key already gone counts as retired.
 */
export async function retireKey(
  state: RotationState,
  deps: RotationDeps,
  signer: AwsCredentials,
  keyId: string,
): Promise<void> {
  const remove = state.policy.oldKey === 'delete';
  try {
    await withRetry(
      { clock: deps.clock, totalMs: deps.propagationTimeoutMs ?? 60_000, initialMs: 200, maxDelayMs: 5_000 },
      () =>
        remove
          ? deps.iam.deleteAccessKey(signer, state.userName, keyId)
          : deps.iam.updateAccessKey(signer, state.userName, keyId, 'Inactive'),
      (error) => isRejectedKey(error) || isTransient(error),
      (waited) =>
        deps.progress.step('retire', `IAM does not accept the new key yet (${(waited / 1000).toFixed(1)} s)`),
    );
  } catch (error) {
    if (awsErrorName(error) !== 'NoSuchEntity') throw error;
  }
}
