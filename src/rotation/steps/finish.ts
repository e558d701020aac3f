import { maskKeyId, redactText } from '../../errors/redact.js';
import type { RotationDeps, RotationResult } from '../ports.js';
import { type RotationState, resultOf } from '../state.js';

/**
 * Step 10: clears the journal (and the secret in it), records the result, logs, and runs the
 * after_rotate hook. A failing hook is reported but never undoes the rotation.
 */
export async function finish(state: RotationState, deps: RotationDeps): Promise<RotationResult> {
  const profile = state.request.profile;
  await deps.journal.finish(profile);
  const result = resultOf(state, deps, 'rotated');
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
    durationMs: result.durationMs,
  });
  const command = state.policy.afterRotate;
  if (command && deps.hook) {
    deps.progress.step('after_rotate', 'running the after_rotate command');
    const env = {
      AWS_PROFILE: profile,
      AWS_ACCESS_KEY_ID: state.newKey!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: state.newKey!.secretAccessKey,
    };
    let run: { exitCode: number; output: string };
    try {
      run = await deps.hook.run(command, env);
    } catch (error) {
      run = { exitCode: -1, output: error instanceof Error ? error.message : String(error) };
    }
    const output = redactText(run.output.split(env.AWS_SECRET_ACCESS_KEY).join('[redacted-secret]'));
    result.hook = { exitCode: run.exitCode, ok: run.exitCode === 0 };
    if (run.exitCode === 0) deps.logger.info('after_rotate succeeded', { profile, output });
    else {
      deps.logger.warn('after_rotate failed', { profile, exitCode: run.exitCode, output });
      deps.progress.step('after_rotate', `failed with exit code ${run.exitCode}; the rotation stands`);
    }
  }
  await deps.recorder?.record(result).catch(() => undefined);
  deps.progress.step('finish', summary);
  return result;
}
