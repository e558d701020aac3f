import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { keyAge } from '../../time/days.js';
import { journalHeldKeys } from '../journal-held.js';
import { withMfa } from '../mfa.js';
import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';

/** Step 3: lists the user's keys and works out the current key's age and due date. */
export async function inspect(state: RotationState, deps: RotationDeps): Promise<void> {
  const signer = state.oldCredentials!;
  state.keys = await withMfa(state, deps, signer, (c) => deps.iam.listAccessKeys(c, state.userName));
  const current = state.keys.find((k) => k.accessKeyId === state.oldKeyId);
  if (!current) {
    throw new KeyrotError(
      'ROTATION_FAILED',
      `IAM does not list ${maskKeyId(state.oldKeyId)} among the keys of ${state.userArn}`,
    );
  }
  const age = keyAge(current.createDate, state.policy, deps.clock.now());
  state.ageDays = age.ageDays;
  state.dueAt = age.dueAt.toISOString();
  state.due = age.due;
  deps.progress.step(
    'inspect',
    `key is ${state.ageDays} days old; ${state.due ? 'due' : `due on ${state.dueAt.slice(0, 10)}`}; ${state.keys.length} key(s)`,
  );
}

/**
 * When not rotating: deletes the user's inactive older key once the current key is `grace_days` old
 * (the rollback window of the last rotation has passed).
 */
export async function expireGrace(state: RotationState, deps: RotationDeps): Promise<void> {
  const current = state.keys.find((k) => k.accessKeyId === state.oldKeyId);
  if (!current || state.ageDays < state.policy.graceDays) return;
  const expired = state.keys.filter(
    (k) =>
      k.accessKeyId !== state.oldKeyId &&
      k.status === 'Inactive' &&
      k.createDate.getTime() <= current.createDate.getTime(),
  );
  if (expired.length === 0) return;
  // An unfinished rotation's key is its rollback path until that rotation is resumed.
  const held = await journalHeldKeys(deps, state.userArn, state);
  for (const key of expired) {
    if (held.has(key.accessKeyId)) continue;
    if (state.request.dryRun) {
      state.otherKeyAction = 'would-delete-inactive';
      continue;
    }
    await withMfa(state, deps, state.oldCredentials!, (c) =>
      deps.iam.deleteAccessKey(c, state.userName, key.accessKeyId),
    );
    state.otherKeyAction = 'deleted-inactive';
    deps.progress.step(
      'grace',
      `deleted ${maskKeyId(key.accessKeyId)}, inactive past the ${state.policy.graceDays}-day grace period`,
    );
  }
}
