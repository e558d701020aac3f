import { type ErrorCode, isKeyrotError, KeyrotError } from '../errors/keyrot-error.js';
import { redactText } from '../errors/redact.js';

// AWS error names that mean "this key is not (yet) accepted": a new key inside IAM's eventual
// consistency window, or a key that was deleted or deactivated.
const REJECTED = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
]);

/** The AWS error name (`InvalidClientTokenId`, `ECONNRESET`…) behind an error, also through a KeyrotError cause. */
export function awsErrorName(error: unknown): string | undefined {
  const inner = isKeyrotError(error) ? error.cause : error;
  if (!inner || typeof inner !== 'object') return undefined;
  const e = inner as { name?: string; code?: string; Code?: string };
  if (e.code && NETWORK.has(e.code)) return e.code;
  return e.Code ?? e.name ?? e.code;
}

/** True when AWS rejected the signing key itself (unknown, inactive or not yet propagated). */
export function isRejectedKey(error: unknown): boolean {
  return REJECTED.has(awsErrorName(error) ?? '');
}

/** True when AWS understood the key but denied the action (a policy, for example one requiring MFA). */
export function isAccessDenied(error: unknown): boolean {
  return DENIED.has(awsErrorName(error) ?? '');
}

/** True when the request may not have reached AWS or its answer was lost (reset, timeout, 5xx, throttling). */
export function isTransient(error: unknown): boolean {
  const name = awsErrorName(error) ?? '';
  if (NETWORK.has(name) || /Throttl|TooManyRequests|ServiceUnavailable|InternalFailure/i.test(name))
    return true;
  const inner = (isKeyrotError(error) ? error.cause : error) as { $metadata?: { httpStatusCode?: number } };
  const status = inner?.$metadata?.httpStatusCode ?? 0;
  return status >= 500 || status === 429;
}

/** True when AWS answered with a client error (4xx other than throttling): the action certainly did not run. */
export function isDefiniteRefusal(error: unknown): boolean {
  if (isTransient(error)) return false;
  const inner = (isKeyrotError(error) ? error.cause : error) as { $metadata?: { httpStatusCode?: number } };
  const status = inner?.$metadata?.httpStatusCode ?? 0;
  return status >= 400 && status < 500;
}

/** Wraps an SDK error from `service action` in a KeyrotError whose message holds no secret. */
export function mapAwsError(error: unknown, service: 'IAM' | 'STS', action: string): KeyrotError {
  if (isKeyrotError(error)) return error;
  const name = awsErrorName(error) ?? 'Error';
  const raw = error instanceof Error ? error.message : String(error);
  const detail = redactText(raw).slice(0, 300);
  let code: ErrorCode = 'AWS_ERROR';
  let hint: string | undefined;
  if (REJECTED.has(name)) {
    code = 'AWS_REJECTED_KEY';
    hint = 'The key was not accepted: it may be deleted, inactive, or too new for AWS to know yet.';
  } else if (DENIED.has(name)) {
    code = 'AWS_ACCESS_DENIED';
    hint =
      'The user needs iam:ListAccessKeys, CreateAccessKey, UpdateAccessKey and DeleteAccessKey on itself.';
  } else if (isTransient(error)) {
    code = 'AWS_UNREACHABLE';
    hint = 'AWS did not answer in time; nothing is lost, run the command again later.';
  }
  return new KeyrotError(code, `${service} ${action} failed: ${name}: ${detail}`, { hint, cause: error });
}
