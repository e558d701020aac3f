import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

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

// node:zlib is loaded only for a value that is compressed or was: most values are stored as they are
// (ChunkedValueStore), and loading it and brotli's first use cost a rotation ~4 ms of CPU on Node 24.
let zlibModule: typeof import('node:zlib') | undefined;
const zlib = (): typeof import('node:zlib') =>
  (zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'));

/** SHA-256 of a string's UTF-8 bytes or of a buffer, as hex. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A value, text (as UTF-8) or bytes, packed as it is (codec `raw`) and fingerprinted. */
export function rawValue(value: string | Buffer): PackedValue {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return { codec: 'raw', payload: raw, size: raw.length, sha256: sha256Hex(raw) };
}

/** A value packed by rawValue, compressed with brotli (kept raw when that does not help). */
export function compressedValue(raw: PackedValue): PackedValue {
  const { brotliCompressSync, constants } = zlib();
  // Quality 6: credentials files compress almost as well as at 11, and a 1 MB value takes ms, not seconds.
  const compressed = brotliCompressSync(raw.payload, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 6,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.size,
    },
  });
  return compressed.length < raw.payload.length ? { ...raw, codec: 'br', payload: compressed } : raw;
}

/**
 * Unpacks bytes made by rawValue or compressedValue and checks them against the recorded size and
 * SHA-256. Returns null when they do not match (the caller reports which value is corrupt).
 */
export function unpackValue(packed: PackedValue): Buffer | null {
  let raw: Buffer;
  try {
    raw = packed.codec === 'br' ? zlib().brotliDecompressSync(packed.payload) : packed.payload;
  } catch {
    return null;
  }
  if (raw.length !== packed.size || sha256Hex(raw) !== packed.sha256) return null;
  return raw;
}
