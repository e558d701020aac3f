import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';

/** How a value's bytes were packed: brotli, or as-is when compression would not shrink them. */
export type Codec = 'br' | 'raw';

/** A value ready to be chunked: its packed bytes and what is needed to check them on the way back. */
export interface PackedValue {
  codec: Codec;
  payload: Buffer;
  /** Length in bytes of the value before packing (a string's UTF-8 bytes). */
  size: number;
  /** SHA-256 (hex) of the value's bytes before packing. */
  sha256: string;
}

/** SHA-256 of a string's UTF-8 bytes or of a buffer, as hex. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compresses a value, text (as UTF-8) or bytes (brotli; kept raw when that does not help), and fingerprints it. */
export function packValue(value: string | Buffer): PackedValue {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  // Quality 6: credentials files compress almost as well as at 11, and a 1 MB value takes ms, not seconds.
  const compressed = brotliCompressSync(raw, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: 6,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const smaller = compressed.length < raw.length;
  return {
    codec: smaller ? 'br' : 'raw',
    payload: smaller ? compressed : raw,
    size: raw.length,
    sha256: sha256Hex(raw),
  };
}

/**
 * Unpacks bytes made by packValue and checks them against the recorded size and SHA-256.
 * Returns null when they do not match (the caller reports which value is corrupt).
 */
export function unpackValue(packed: PackedValue): Buffer | null {
  let raw: Buffer;
  try {
    raw = packed.codec === 'br' ? brotliDecompressSync(packed.payload) : packed.payload;
  } catch {
    return null;
  }
  if (raw.length !== packed.size || sha256Hex(raw) !== packed.sha256) return null;
  return raw;
}
