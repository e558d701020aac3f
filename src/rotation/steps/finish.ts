import { maskKeyId, redactText } from '../../errors/redact.js';
import type { RotationDeps, RotationResult } from '../ports.js';
import { type RotationState, resultOf } from '../state.js';

/**
 * Step 11: clears the journal (and the secret in it), records the result, logs, and runs the
 * after_rotate hook. A failing hook is reported but never undoes the rotation. While the old key's grace
 * window is open its entry stays: it holds the deadline until a later run retires the old key.
 */
export async function finish(state: RotationState, deps: RotationDeps): Promise<RotationResult> {
  const profile = state.request.profile;
  if (state.oldKeyAction !== 'kept-active') await deps.journal.finish(state);
  const summary = `profile ${profile}: ${maskKeyId(state.oldKeyId)} → ${maskKeyId(state.newKey!.accessKeyId)}, old key ${state.oldKeyAction}`;
  deps.logger.info('rotated', {
    profile,
    userArn: state.userArn,
    oldKeyId: maskKeyId(state.oldKeyId),
    newKeyId: maskKeyId(state.newKey!.accessKeyId),
    oldKeyAction: state.oldKeyAction,
    otherKeyAction: state.otherKeyAction,
    backupId: state.backupId,
    resumed: state.resumed,
    ...(state.oldKeyWindow ? { oldKeyActiveUntil: state.oldKeyWindow.until } : {}),
  });
  const hook = await runHook(state, deps);
  // Measured after the hook, so the duration shown is the one the person waited.
  const result = resultOf(state, deps, 'rotated');
  if (hook) result.hook = hook;
  await deps.recorder?.record(result).catch(() => undefined);
  deps.progress.step('finish', summary);
  return result;
}

/**
 * Runs after_rotate, if configured. Its exit code and duration are logged; its output only at debug level,
 * because redaction cannot recognise an encoded secret (a hook that prints `base64` of the key).
 */
async function runHook(state: RotationState, deps: RotationDeps): Promise<RotationResult['hook']> {
  const command = state.policy.afterRotate;
  if (!command || !deps.hook) return undefined;
  const profile = state.request.profile;
  deps.progress.step('after_rotate', 'running the after_rotate command');
  const secret = state.newKey!.secretAccessKey;
  const run = await deps.hook.run(command, {
    AWS_PROFILE: profile,
    AWS_ACCESS_KEY_ID: state.newKey!.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secret,
  });
  const hook = {
    exitCode: run.exitCode,
    ok: run.exitCode === 0 && !run.timedOut,
    durationMs: run.durationMs,
    timedOut: run.timedOut,
  };
  const fields = { profile, exitCode: run.exitCode, durationMs: run.durationMs, timedOut: run.timedOut };
  if (hook.ok) deps.logger.info('after_rotate succeeded', fields);
  else deps.logger.warn('after_rotate failed', fields);
  if (run.output) {
    deps.logger.debug('after_rotate output', {
      profile,
      output: redactText(run.output.split(secret).join('[redacted-secret]')),
    });
  }
  const seconds = (run.durationMs / 1000).toFixed(1);
  if (run.timedOut) {
    deps.progress.step(
      'after_rotate',
      `timed out after ${seconds} s and was stopped with everything it started; the rotation stands`,
    );
  } else if (!hook.ok) {
    deps.progress.step(
      'after_rotate',
      `failed with exit code ${run.exitCode} after ${seconds} s; the rotation stands`,
    );
  } else deps.progress.step('after_rotate', `finished in ${seconds} s`);
  return hook;
}
