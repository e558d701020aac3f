// How rotation results and failures are shown: masked JSON documents and one-line summaries.

import { describeError, exitCodeOf } from '../errors/describe-error.js';
import { maskKeyId, redactText } from '../errors/redact.js';
import type { RotationResult } from '../rotation/ports.js';
import { utcMinute } from '../time/days.js';

/** A rotation result as printed: key ids masked, never a secret. */
export function maskedResult(result: RotationResult): Record<string, unknown> {
  return {
    ...result,
    oldKeyId: result.oldKeyId ? maskKeyId(result.oldKeyId) : null,
    newKeyId: result.newKeyId ? maskKeyId(result.newKeyId) : null,
    ...(result.oldKeyWindow
      ? { oldKeyWindow: { ...result.oldKeyWindow, keyId: maskKeyId(result.oldKeyWindow.keyId) } }
      : {}),
    ...(result.plan ? { plan: result.plan.map(redactText) } : {}),
    ...(result.warnings ? { warnings: result.warnings.map(redactText) } : {}),
  };
}

/** A failed profile as printed in JSON. */
export function failureDocument(profile: string, error: unknown): Record<string, unknown> {
  return { profile, outcome: 'failed', error: describeError(error), exitCode: exitCodeOf(error) };
}

/** One line for a person about a result. */
export function summaryLine(result: RotationResult): string {
  const p = `profile ${result.profile}:`;
  if (result.outcome === 'not-due') {
    const cleaned =
      result.otherKeyAction === 'deleted-inactive'
        ? '; deleted the inactive old key past its grace period'
        : '';
    return `${p} not due (key ${maskKeyId(result.oldKeyId)} is ${result.ageDays} days old, due ${result.dueAt.slice(0, 10)})${cleaned}${windowNote(result)}`;
  }
  if (result.outcome === 'already-rotated') {
    return `${p} already rotated: it now holds ${maskKeyId(result.newKeyId ?? '')} instead of ${maskKeyId(result.oldKeyId)} (rotated meanwhile with a profile sharing the key, or by another keyrot; nothing changed)`;
  }
  if (result.outcome === 'dry-run')
    return `${p} would ${(result.plan ?? []).join('; ')} (dry run: nothing changed)`;
  const parts = [
    `rotated ${maskKeyId(result.oldKeyId)} → ${maskKeyId(result.newKeyId ?? '')}`,
    result.oldKeyAction === 'kept-active' && result.oldKeyWindow
      ? `old key active until ${utcMinute(result.oldKeyWindow.until)}`
      : `old key ${result.oldKeyAction}`,
  ];
  if (result.otherKeyAction !== 'none') parts.push(`other key ${result.otherKeyAction}`);
  if (result.backupId) parts.push(`backup ${result.backupId}`);
  if (result.resumed) parts.push('resumed an interrupted rotation');
  if (result.hook?.timedOut) parts.push('after_rotate TIMED OUT (stopped)');
  else if (result.hook && !result.hook.ok) parts.push(`after_rotate FAILED (exit ${result.hook.exitCode})`);
  return `${p} ${parts.join(', ')} in ${(result.durationMs / 1000).toFixed(1)} s`;
}

/** What a not-due run did with an earlier rotation's old key in its grace window. */
function windowNote(result: RotationResult): string {
  const window = result.oldKeyWindow;
  if (!window) return '';
  const key = maskKeyId(window.keyId);
  if (window.state === 'closed') return `; retired the old key ${key}, its grace window over`;
  if (window.state === 'waiting')
    return `; the old key ${key} stays active while it is used (deadline ${utcMinute(window.until)} passed)`;
  return `; the old key ${key} stays active until ${utcMinute(window.until)}`;
}
