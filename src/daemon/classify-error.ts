// How the daemon reacts to a failed check depends on what kind of failure it is.
import { describeError } from '../errors/describe-error.js';
import { isKeyrotError } from '../errors/keyrot-error.js';

/**
 * needs-person: only the person can fix it (MFA code, locked keychain): notify, no retries until the
 * next scheduled check. transient: offline or AWS hiccup: back off and retry. busy: another keyrot
 * (rotate-now) holds the profile's lock: retry soon, say nothing. failed: anything else: notify once.
 */
export type FailureKind = 'needs-person' | 'transient' | 'busy' | 'failed';

const TRANSIENT = new Set([
  'AWS_UNREACHABLE',
  'AWS_ERROR',
  'NEW_KEY_NOT_PROVEN',
  'FILE_CHANGED_CONCURRENTLY',
]);
// Network failures that escaped the rotation engine's error mapping.
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ENETUNREACH']);

/** Classifies a failure thrown by a profile check. */
export function classifyFailure(error: unknown): FailureKind {
  if (!isKeyrotError(error)) {
    return NETWORK.has(String((error as NodeJS.ErrnoException)?.code)) ? 'transient' : 'failed';
  }
  if (error.exitCode === 5) return 'needs-person';
  if (error.code === 'LOCKED') return 'busy';
  if (TRANSIENT.has(error.code)) return 'transient';
  return 'failed';
}

/** The error's code (INTERNAL for anything that is not a KeyrotError). */
export function failureCode(error: unknown): string {
  return describeError(error).code;
}

/** One redacted line describing the failure, for the state file, the log and a notification. */
export function failureLine(error: unknown): string {
  return (describeError(error).message.split('\n')[0] ?? '').slice(0, 300);
}
