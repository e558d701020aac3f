// Identifiers and secrets shaped like AWS's, drawn from the operating system's cryptographic source.
import { randomBytes } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** `length` characters drawn uniformly from `alphabet` (rejection sampling avoids modulo bias). */
export function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A long-term access key id: `AKIA` + 16 upper-case alphanumerics. */
export function newAccessKeyId(): string {
  return `AKIA${randomString(UPPER_ALNUM, 16)}`;
}

/** A temporary access key id: `ASIA` + 16 upper-case alphanumerics. */
export function newTemporaryKeyId(): string {
  return `ASIA${randomString(UPPER_ALNUM, 16)}`;
}

/** A 40-character secret access key. */
export function newSecretAccessKey(): string {
  return randomString(BASE64_CHARS, 40);
}

/** An IAM user's unique id: `AIDA` + 17 upper-case alphanumerics. */
export function newUserId(): string {
  return `AIDA${randomString(UPPER_ALNUM, 17)}`;
}

/** An opaque session token, as long as the ones STS issues. */
export function newSessionToken(): string {
  return randomBytes(264).toString('base64');
}

/** A random 12-digit AWS account id (never starting with 0). */
export function newAccountId(): string {
  return `${randomString('123456789', 1)}${randomString('0123456789', 11)}`;
}
