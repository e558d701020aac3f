import { isRejectedKey, isTransient } from '../../aws/errors.js';
import { mergedProfileValues } from '../../credentials/read.js';
import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { withRetry } from '../../time/retry.js';
import type { RotationDeps } from '../ports.js';
import type { RotationState } from '../state.js';
import { takeStsAhead } from '../sts-ahead.js';

/** Step 7: polls STS with the new key until it answers with the same user (IAM is eventually consistent). */
export async function proveKey(state: RotationState, deps: RotationDeps): Promise<void> {
  const key = state.newKey!;
  const totalMs = deps.propagationTimeoutMs ?? 60_000;
  // Its first try takes the question createKey asked while the key was journaled.
  let ahead = takeStsAhead(state, key);
  let identity: { arn: string };
  try {
    identity = await withRetry(
      { clock: deps.clock, totalMs, initialMs: 200, maxDelayMs: 5_000 },
      () => {
        const first = ahead;
        ahead = undefined;
        return first ?? deps.sts.getCallerIdentity(key);
      },
      (error) => isRejectedKey(error) || isTransient(error),
      (waited, next) =>
        deps.progress.step(
          'prove',
          `AWS does not accept the new key yet; waited ${(waited / 1000).toFixed(1)} s, next try in ${(next / 1000).toFixed(1)} s`,
        ),
    );
  } catch (error) {
    const holds = mergedProfileValues(await deps.files.read(), state.request.profile)?.aws_access_key_id;
    throw new KeyrotError(
      'NEW_KEY_NOT_PROVEN',
      `AWS did not accept the new key ${maskKeyId(key.accessKeyId)} within ${Math.round(totalMs / 1000)} s`,
      {
        hint:
          holds === state.oldKeyId
            ? 'Your file still holds the old key and the new one is kept in the journal: run `keyrot rotate-now` again later to finish.'
            : `Profile "${state.request.profile}" holds ${holds ? maskKeyId(holds) : 'no key'}; the journal keeps ${maskKeyId(key.accessKeyId)}. Run \`keyrot rotate-now\` again later; \`keyrot status\` lists the unfinished rotation.`,
        cause: error,
      },
    );
  }
  if (identity.arn !== state.userArn) {
    throw new KeyrotError('ROTATION_FAILED', `the new key belongs to ${identity.arn}, not ${state.userArn}`);
  }
  deps.progress.step('prove', `AWS accepts ${maskKeyId(key.accessKeyId)} as ${identity.arn}`);
}
