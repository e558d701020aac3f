// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30-second steps, 6 digits,
// the parameters of AWS virtual MFA devices. Secrets are exchanged in RFC 4648 base32.
import { createHmac, randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const STEP_SECONDS = 30;
const DIGITS = 6;

/** Encodes bytes as unpadded RFC 4648 base32. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes RFC 4648 base32 (case-insensitive, padding and spaces ignored). */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error('invalid base32 character');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new 160-bit TOTP secret in base32 (what a virtual MFA device's QR code carries). */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The RFC 4226 HOTP value for `counter`. */
export function hotp(secret: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', secret).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const code = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(code % 10 ** DIGITS).padStart(DIGITS, '0');
}

/** The 6-digit TOTP code of a base32 secret at time `at` (what the person's authenticator app shows). */
export function totpCode(secretBase32: string, at: Date = new Date()): string {
  return hotp(base32Decode(secretBase32), Math.floor(at.getTime() / 1000 / STEP_SECONDS));
}

/**
 * The time step whose code `code` is, when it is valid at `at` (one step of clock drift either way, as AWS
 * allows); undefined otherwise. A verifier that remembers the step refuses a code used before.
 */
export function totpStep(secretBase32: string, code: string, at: Date, window = 1): number | undefined {
  const secret = base32Decode(secretBase32);
  const step = Math.floor(at.getTime() / 1000 / STEP_SECONDS);
  for (let drift = -window; drift <= window; drift++) {
    if (hotp(secret, step + drift) === code) return step + drift;
  }
  return undefined;
}

/** True when `code` is valid at `at`, allowing one step of clock drift either way, as AWS does. */
export function verifyTotp(secretBase32: string, code: string, at: Date, window = 1): boolean {
  return totpStep(secretBase32, code, at, window) !== undefined;
}
