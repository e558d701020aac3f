import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  type KeyPairKeyObjectResult,
} from 'node:crypto';

// Diffie-Hellman over the 1024-bit MODP group of RFC 2409 (Node's `modp2`), exchanging public keys as
// unsigned big-endian integers, as the Secret Service's dh-ietf1024 algorithm does. Node's
// getDiffieHellman('modp2') re-checks the prime on every call (~40 ms); key objects of the same group
// take ~0.5 ms, at the price of moving public keys in and out of their DER (SubjectPublicKeyInfo) form.

const GROUP_BYTES = 128;
const SEQUENCE = 0x30;
const BIT_STRING = 0x03;
const INTEGER = 0x02;

// Node has generated keys of named DH groups since v15; @types/node 20 only lacks the overload.
const generateGroupKeyPair = generateKeyPairSync as unknown as (
  type: 'dh',
  options: { group: string },
) => KeyPairKeyObjectResult;

/** This side of one key exchange. */
export interface DhKeyPair {
  /** Our public key, unsigned big-endian, for the peer. */
  publicKey: Buffer;
  /** The shared secret with the peer's public key (unsigned big-endian), left-padded to the group's 128 bytes. */
  sharedSecret(peerPublicKey: Buffer): Buffer;
}

/** A fresh key pair in the 1024-bit MODP group. */
export function generateDhKeyPair(): DhKeyPair {
  const { publicKey, privateKey } = generateGroupKeyPair('dh', { group: 'modp2' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const outer = readTlv(spki, 0);
  const algorithm = readTlv(spki, outer.start);
  const bits = readTlv(spki, algorithm.end);
  const value = readTlv(spki, bits.start + 1);
  return {
    publicKey: unsigned(spki.subarray(value.start, value.end)),
    sharedSecret(peerPublicKey: Buffer): Buffer {
      const peer = peerKey(spki.subarray(outer.start, algorithm.end), peerPublicKey);
      const secret = diffieHellman({ privateKey, publicKey: peer });
      // The key derivation hashes all 128 bytes: a secret with leading zero bytes must keep them.
      return secret.length >= GROUP_BYTES
        ? secret
        : Buffer.concat([Buffer.alloc(GROUP_BYTES - secret.length), secret]);
    },
  };
}

/** The peer's public key as a key object: our own algorithm identifier (same group) with its integer. */
function peerKey(algorithmTlv: Buffer, peerPublicKey: Buffer): KeyObject {
  const y = unsigned(peerPublicKey);
  const integer = y[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), y]) : y;
  const bitString = Buffer.concat([Buffer.from([0]), tlv(INTEGER, integer)]);
  const der = tlv(SEQUENCE, Buffer.concat([algorithmTlv, tlv(BIT_STRING, bitString)]));
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

function unsigned(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function readTlv(der: Buffer, at: number): { start: number; end: number } {
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  return { start, end: start + length };
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const head = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from(head), content]);
}
