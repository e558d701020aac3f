// The words of every notification keyrot sends. Key ids are masked, reasons are one redacted line,
// and each message tells the person what, if anything, to do.
import { maskKeyId, redactText } from '../errors/redact.js';
import { utcMinute } from '../time/days.js';
import type { Notification } from './notifier.js';

/** A key id, masked unless it already is. */
function masked(keyId: string): string {
  return keyId.includes('…') ? keyId : maskKeyId(keyId);
}

/** The first line of a reason, redacted and kept short enough for a notification bubble. */
function oneLine(reason: string): string {
  const line =
    redactText(reason)
      .split(/\r?\n/)
      .find((part) => part.trim() !== '') ?? 'unknown error';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line.trim();
}

/** A key was rotated. */
export function rotatedMessage(event: {
  profile: string;
  oldKeyId: string;
  newKeyId: string;
  oldKeyAction: 'deactivated' | 'deleted' | 'kept';
  /** The old key's grace window ends then (old_key_active_hours; ISO 8601). */
  activeUntil?: string;
}): Notification {
  const old = event.activeUntil
    ? `old key active until ${utcMinute(event.activeUntil)}`
    : `old key ${event.oldKeyAction}`;
  return {
    title: `keyrot: rotated ${event.profile}`,
    body: `Rotated key for profile ${event.profile} (${masked(event.oldKeyId)} → ${masked(event.newKeyId)}); ${old}`,
    urgency: 'low',
  };
}

/** A key will be due within warn_days. */
export function dueSoonMessage(event: { profile: string; ageDays: number; dueInDays: number }): Notification {
  const when =
    event.dueInDays <= 0
      ? 'rotation is due now'
      : `rotation in ${event.dueInDays} day${event.dueInDays === 1 ? '' : 's'}`;
  return {
    title: `keyrot: ${event.profile} due soon`,
    body: `Key for profile ${event.profile} is ${event.ageDays} days old; ${when}`,
    urgency: 'normal',
  };
}

/** The daemon cannot go on without the person: an MFA code, a locked keychain, a keychain dialog. */
export function needsYouMessage(event: {
  profile: string;
  reason: 'mfa' | 'keychain' | 'keychain-prompt';
}): Notification {
  const command = `keyrot rotate-now --profile ${event.profile}`;
  const body =
    event.reason === 'mfa'
      ? `keyrot needs you: enter your MFA code with \`${command}\``
      : event.reason === 'keychain-prompt'
        ? `keyrot needs you: answer the keychain dialog (Always Allow), then run \`${command}\``
        : `keyrot needs you: unlock your keychain, then run \`${command}\``;
  return { title: 'keyrot needs you', body, urgency: 'critical' };
}

/** keyrot's settings are invalid: the daemon checks nothing until they are fixed. */
export function settingsInvalidMessage(event: { file: string | null; reason: string }): Notification {
  const where = event.file ?? "keyrot's settings";
  return {
    title: 'keyrot needs you',
    body: `keyrot checks no key until you fix ${where}: ${oneLine(event.reason)}`,
    urgency: 'critical',
  };
}

/** A check or rotation failed (or was refused by a safety rule); the reason is one redacted line. */
export function failedMessage(event: { profile: string; reason: string }): Notification {
  return {
    title: `keyrot: ${event.profile} not rotated`,
    body: `Rotation for profile ${event.profile} failed: ${oneLine(event.reason)}`,
    urgency: 'critical',
  };
}
