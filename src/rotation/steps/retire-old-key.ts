import { awsErrorName, isRejectedKey, isTransient } from '../../aws/errors.js';
import { maskKeyId } from '../../errors/redact.js';
import { withRetry } from '../../time/retry.js';
import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

/**
 * Step 10: deactivates (or, by policy, deletes) the old key, signed with the NEW key — which also proves
 * IAM accepts it. Retries while IAM still rejects the new key. A key already gone counts as retired.
 */
export async function retireOldKey(state: RotationState, deps: RotationDeps): Promise<void> {
  const signer = state.mfaSession ?? state.newKey!;
  const remove = state.policy.oldKey === 'delete';
  const old = state.oldKeyId;
  try {
    await withRetry(
      { clock: deps.clock, totalMs: deps.propagationTimeoutMs ?? 60_000, initialMs: 200, maxDelayMs: 5_000 },
      () =>
        remove
          ? deps.iam.deleteAccessKey(signer, state.userName, old)
          : deps.iam.updateAccessKey(signer, state.userName, old, 'Inactive'),
      (error) => isRejectedKey(error) || isTransient(error),
      (waited) =>
        deps.progress.step('retire', `IAM does not accept the new key yet (${(waited / 1000).toFixed(1)} s)`),
    );
  } catch (error) {
    if (awsErrorName(error) !== 'NoSuchEntity') throw error;
  }
  state.oldKeyAction = remove ? 'deleted' : 'deactivated';
  deps.progress.step('retire', `${remove ? 'deleted' : 'deactivated'} the old key ${maskKeyId(old)}`);
}
