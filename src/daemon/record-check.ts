// The daemon's policy, as one pure function: given what a profile's state was and what its check
// found, what the state is now and whether to tell the person. Notifications are deduplicated by an
// event name kept in the state file, so a restart never repeats one.

import { dueSoonMessage, failedMessage, needsYouMessage, rotatedMessage } from '../notify/messages.js';
import type { Notification } from '../notify/notifier.js';
import type { ProfileState } from '../state/state-file.js';
import { emptyProfileState } from '../state/state-shape.js';
import { daysUntil, utcMinute } from '../time/days.js';
import { backoffDelayMs } from './backoff.js';
import { classifyFailure, failureCode, failureLine } from './classify-error.js';
import type { CheckReport, OtherWindowResult, RotatedReport } from './ports.js';

/** A transient failure is reported only once the key is overdue and this many tries in a row failed. */
export const TRANSIENT_FAILURES_BEFORE_NOTICE = 3;

/** The result of one profile check: a report, or what it threw. */
export type CheckResult = { ok: true; report: CheckReport } | { ok: false; error: unknown };

/** The new state of the profile and the notification to send, if any. */
export interface RecordedCheck {
  state: ProfileState;
  notification: Notification | null;
}

/** Applies one check result to a profile's state (pure; `today` is the local YYYY-MM-DD of `now`). */
export function recordCheck(input: {
  profile: string;
  previous: ProfileState;
  result: CheckResult;
  now: Date;
  today: string;
  backoffCapMs: number;
}): RecordedCheck {
  const { profile, previous, result, now, today } = input;
  const at = now.toISOString();
  if (result.ok) {
    const report = result.report;
    if (report.kind === 'rotated') {
      const event = `rotated:${report.newKeyId}`;
      const state: ProfileState = { ...rotatedState(previous, report, now), lastNotified: { event, at } };
      const repeat = previous.lastNotified?.event === event;
      const activeUntil = report.oldKeyWindow?.state === 'open' ? report.oldKeyWindow.until : undefined;
      return {
        state,
        notification: repeat ? null : rotatedMessage({ profile, ...report, activeUntil }),
      };
    }
    const dueSoon = now.getTime() >= report.warnFrom.getTime();
    const message = `key is ${report.ageDays} days old; due ${report.dueAt.toISOString().slice(0, 10)}`;
    const state: ProfileState = {
      ...succeeded(previous, report),
      keyId: report.keyId,
      lastResult: { at, outcome: dueSoon ? 'due-soon' : 'not-due', message },
    };
    if (!dueSoon || previous.warnedOn === today) return { state, notification: null };
    return {
      state: { ...state, warnedOn: today, lastNotified: { event: `due-soon:${today}`, at } },
      notification: dueSoonMessage({
        profile,
        ageDays: report.ageDays,
        dueInDays: daysUntil(report.dueAt, now),
      }),
    };
  }

  const kind = classifyFailure(result.error);
  const code = failureCode(result.error);
  const reason = failureLine(result.error);
  if (kind === 'busy') {
    // rotate-now is working on this profile: try again shortly, keep the last real result.
    const failures = previous.failures + 1;
    return {
      state: { ...previous, failures, retryAt: retryAt(now, failures, input.backoffCapMs) },
      notification: null,
    };
  }
  const outcome = kind === 'needs-person' ? 'needs-person' : 'failed';
  const lastResult = { at, outcome, message: reason, code } as const;
  if (kind === 'transient') {
    const failures = previous.failures + 1;
    const state: ProfileState = {
      ...previous,
      failures,
      retryAt: retryAt(now, failures, input.backoffCapMs),
      lastResult,
    };
    const overdue = previous.dueAt !== null && Date.parse(previous.dueAt) <= now.getTime();
    if (!overdue || failures < TRANSIENT_FAILURES_BEFORE_NOTICE) return { state, notification: null };
    return notifyOnce(state, `failed:${code}`, at, failedMessage({ profile, reason }));
  }
  // needs-person and failed: no retry storm; the next scheduled check tries again.
  const state: ProfileState = { ...previous, failures: 0, retryAt: null, lastResult };
  const notification =
    kind === 'needs-person'
      ? needsYouMessage({
          profile,
          reason:
            code === 'MFA_REQUIRED' ? 'mfa' : code === 'KEYCHAIN_PROMPT' ? 'keychain-prompt' : 'keychain',
        })
      : failedMessage({ profile, reason });
  return notifyOnce(state, `${outcome}:${code}`, at, notification);
}

/**
 * A profile's state once its key was rotated, whoever rotated it: the daemon's check, or `rotate-now`
 * (`by`, named in the message). Nobody has been told yet (the caller records a notification it sends).
 */
export function rotatedState(
  previous: ProfileState,
  report: RotatedReport,
  now: Date,
  by?: string,
): ProfileState {
  const resumed = report.resumed ? ' (resumed)' : '';
  const until = report.oldKeyWindow?.state === 'open' ? report.oldKeyWindow.until : undefined;
  const action = until ? `active until ${utcMinute(until)}` : report.oldKeyAction;
  const message = `rotated ${report.oldKeyId} → ${report.newKeyId}; old key ${action}${resumed}`;
  return {
    ...succeeded(previous, report),
    keyId: report.newKeyId,
    // A fresh key is not due soon: the next warning is news again.
    warnedOn: null,
    lastResult: { at: now.toISOString(), outcome: 'rotated', message: by ? `${message} (${by})` : message },
  };
}

/**
 * What every successful check records: the key's age and due date, the old key still in its grace window
 * (each check of the profile looks at it), and the end of any failure episode.
 */
function succeeded(previous: ProfileState, report: CheckReport): ProfileState {
  const window = report.oldKeyWindow;
  // The next failure is news again.
  return {
    ...previous,
    ageDays: report.ageDays,
    dueAt: report.dueAt.toISOString(),
    failures: 0,
    retryAt: null,
    lastNotified: null,
    oldKeyActive:
      window && window.state !== 'closed'
        ? { keyId: window.keyId, until: window.until, waiting: window.state === 'waiting' }
        : null,
    // A report that does not say (a check that did not look) keeps what the last one found.
    ...(report.protected === undefined ? {} : { protected: report.protected }),
  };
}

/**
 * The state of a profile the daemon does not watch once a pass looked at its old key's grace window: the
 * window as it is now, or what kept it from closing. Null when nothing is left to show (the window closed).
 */
export function recordOtherWindow(
  previous: ProfileState | undefined,
  result: OtherWindowResult['result'],
  now: Date,
): ProfileState | null {
  if (!result.ok) {
    const kind = classifyFailure(result.error);
    const outcome = kind === 'needs-person' ? 'needs-person' : 'failed';
    const message = `old key's grace window not closed: ${failureLine(result.error)}`;
    const lastResult = { at: now.toISOString(), outcome, message, code: failureCode(result.error) } as const;
    return { ...(previous ?? emptyProfileState()), lastResult };
  }
  const window = result.window;
  if (!window || window.state === 'closed') return null;
  return {
    ...(previous ?? emptyProfileState()),
    oldKeyActive: { keyId: window.keyId, until: window.until, waiting: window.state === 'waiting' },
    ...(result.protected === undefined ? {} : { protected: result.protected }),
  };
}

function notifyOnce(
  state: ProfileState,
  event: string,
  at: string,
  notification: Notification,
): RecordedCheck {
  if (state.lastNotified?.event === event) return { state, notification: null };
  return { state: { ...state, lastNotified: { event, at } }, notification };
}

function retryAt(now: Date, failures: number, capMs: number): string {
  return new Date(now.getTime() + backoffDelayMs(failures, capMs)).toISOString();
}
