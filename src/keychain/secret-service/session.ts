import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DbusErrorReply } from './dbus-errors.js';
import type { DhKeyPair } from './dh-key.js';

/** The transport encryption libsecret and keyring-rs negotiate: DH key exchange, then AES-128-CBC. */
export const DH_ALGORITHM = 'dh-ietf1024-sha256-aes128-cbc-pkcs7';

/** What keyrot's values are: UTF-8 text (libsecret's own content type for text). */
export const CONTENT_TYPE = 'text/plain; charset=utf8';

/**
 * A Secret struct `(oayays)` as marshal.ts writes and unmarshal.ts reads it: session, parameters, value,
 * content type.
 */
export type SecretStruct = [string, Buffer, Buffer, string];

/** Calls a method of the Secret Service object (org.freedesktop.Secret.Service) and returns the reply body. */
export type ServiceCall = (member: string, signature: string, body: unknown[]) => Promise<unknown[]>;

/** An open Secret Service session: how secrets are wrapped for the bus and unwrapped from it. */
export interface SecretSession {
  /** The session's object path, named in every Secret struct. */
  readonly path: string;
  /** DH_ALGORITHM, or `plain` when the service refused it. */
  readonly algorithm: string;
  /** The Secret struct that carries `value`. */
  encode(value: string): SecretStruct;
  /** The text a Secret struct from the service carries; throws when it cannot be decrypted. */
  decode(secret: unknown): string;
}

/**
 * Opens a session with the encrypted algorithm (so secrets never cross the bus in clear), and the
 * `plain` one only when the service refuses that with NotSupported. `keys` is this side of the key
 * exchange (generateDhKeyPair), made by the caller while it waits for the bus anyway.
 */
export async function openSecretSession(callService: ServiceCall, keys: DhKeyPair): Promise<SecretSession> {
  let reply: unknown[];
  try {
    reply = await callService('OpenSession', 'sv', [DH_ALGORITHM, ['ay', keys.publicKey]]);
  } catch (error) {
    if (!(error instanceof DbusErrorReply) || error.errorName !== 'org.freedesktop.DBus.Error.NotSupported')
      throw error;
    const [, path] = await callService('OpenSession', 'sv', ['plain', ['s', '']]);
    return plainSession(String(path));
  }
  const [output, path] = reply;
  const peer = variantValue(output);
  if (!Buffer.isBuffer(peer) || typeof path !== 'string') {
    throw new Error('the Secret Service answered OpenSession without a public key');
  }
  // Key = HKDF-SHA256 over the 128-byte shared secret, no salt, no info, 16 bytes (as libsecret).
  const key = Buffer.from(hkdfSync('sha256', keys.sharedSecret(peer), Buffer.alloc(0), Buffer.alloc(0), 16));
  return {
    path,
    algorithm: DH_ALGORITHM,
    encode(value) {
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-128-cbc', key, iv);
      return [path, iv, Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]), CONTENT_TYPE];
    },
    decode(secret) {
      const [iv, sealed] = secretParts(secret);
      try {
        const decipher = createDecipheriv('aes-128-cbc', key, iv);
        return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('the Secret Service sent a secret that does not decrypt with the session key');
      }
    },
  };
}

function plainSession(path: string): SecretSession {
  return {
    path,
    algorithm: 'plain',
    encode: (value) => [path, Buffer.alloc(0), Buffer.from(value, 'utf8'), CONTENT_TYPE],
    decode: (secret) => secretParts(secret)[1].toString('utf8'),
  };
}

/** The parameters and value of a Secret struct as unmarshalled. */
function secretParts(secret: unknown): [Buffer, Buffer] {
  const parts = Array.isArray(secret) ? secret : [];
  const [, parameters, value] = parts;
  if (!Buffer.isBuffer(parameters) || !Buffer.isBuffer(value)) {
    throw new Error('the Secret Service sent a malformed secret');
  }
  return [parameters, value];
}

/** The value inside a variant as unmarshal.ts reads it: `[signature tree, [value]]`. */
export function variantValue(variant: unknown): unknown {
  return Array.isArray(variant) && Array.isArray(variant[1]) ? variant[1][0] : undefined;
}
