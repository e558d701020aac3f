// The words the person sees in notifications. Key ids arrive masked; reasons arrive redacted.
import type { DaemonNotification } from './ports.js';

const DAY_MS = 86_400_000;

/** "Rotated key for profile dev (AKIA…1234 → AKIA…5678); old key deactivated". */
export function rotatedNotification(
  profile: string,
  report: { oldKeyId: string; newKeyId: string; oldKeyAction: string },
): DaemonNotification {
  return {
    title: 'keyrot: key rotated',
    body: `Rotated key for profile ${profile} (${report.oldKeyId} → ${report.newKeyId}); old key ${report.oldKeyAction}`,
    urgency: 'low',
  };
}

/** "Key for profile dev is 83 days old; rotation in 7 days". */
export function dueSoonNotification(
  profile: string,
  ageDays: number,
  dueAt: Date,
  now: Date,
): DaemonNotification {
  return {
    title: 'keyrot: key rotation soon',
    body: `Key for profile ${profile} is ${ageDays} days old; rotation in ${daysUntil(dueAt, now)}`,
    urgency: 'low',
  };
}

/** "keyrot needs you: enter your MFA code with `keyrot rotate-now --profile dev`" (or unlock the keychain). */
export function needsPersonNotification(profile: string, code: string): DaemonNotification {
  const command = `keyrot rotate-now --profile ${profile}`;
  const body =
    code === 'MFA_REQUIRED'
      ? `keyrot needs you: enter your MFA code with \`${command}\``
      : code === 'KEYCHAIN_UNAVAILABLE'
        ? `keyrot needs you: unlock your keychain, then run \`${command}\``
        : `keyrot needs you: run \`${command}\``;
  return { title: 'keyrot needs you', body, urgency: 'critical' };
}

/** "Could not rotate the key for profile dev: <one-line reason>". */
export function failedNotification(profile: string, reason: string): DaemonNotification {
  return {
    title: 'keyrot: rotation failed',
    body: `Could not check or rotate the key for profile ${profile}: ${reason}`,
    urgency: 'normal',
  };
}

/** "7 days", "1 day", "today" until `dueAt`. */
export function daysUntil(dueAt: Date, now: Date): string {
  const days = Math.ceil((dueAt.getTime() - now.getTime()) / DAY_MS);
  if (days <= 0) return 'today';
  return days === 1 ? '1 day' : `${days} days`;
}
