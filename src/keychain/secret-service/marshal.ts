// The bytes of a D-Bus method call (little-endian), written straight into one buffer (replies are read
// by unmarshal.ts). @homebridge/dbus-native's marshaller writes a byte array (`ay`) one byte at a time
// through several calls and objects per byte, and every keychain write carries its value as one: on
// Node 24, ~11 ms for a 3 KB value in a fresh process, ~1.4 ms once warm. This writes the same bytes
// for the types keyrot sends (test/keychain/marshal.test.ts checks it against that library).
import { ALIGNED_TO_8, parseSignature, parseSingleType, type SignatureNode } from './signature.js';

/** A method call as bus-connection.ts sends it: header fields, and the body in dbus-native's notation. */
export interface OutgoingCall {
  serial: number;
  path: string;
  interface: string;
  member: string;
  destination: string;
  /** D-Bus signature of `body`; omitted (with `body`) for no arguments. */
  signature?: string;
  body?: unknown[];
}

const METHOD_CALL = 1;
const PROTOCOL_VERSION = 1;
const LITTLE_ENDIAN = 0x6c;
/** Header field codes and their types (the D-Bus specification, "Header Fields"). */
const FIELDS: [
  code: number,
  type: string,
  key: 'path' | 'interface' | 'member' | 'destination' | 'signature',
][] = [
  [1, 'o', 'path'],
  [2, 's', 'interface'],
  [3, 's', 'member'],
  [6, 's', 'destination'],
  [8, 'g', 'signature'],
];

/** A buffer that grows as values are appended, each at its D-Bus alignment. */
class WireWriter {
  private buffer = Buffer.allocUnsafe(1024);
  length = 0;

  /** The bytes written. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** Zero bytes up to the next multiple of `n`. */
  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.room(pad);
    this.buffer.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  byte(value: number): void {
    this.room(1);
    this.buffer[this.length++] = value;
  }

  uint32(value: number): void {
    this.align(4);
    this.room(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  /** Overwrites the uint32 at `at` (a length known only once what it measures is written). */
  patchUint32(at: number, value: number): void {
    this.buffer.writeUInt32LE(value, at);
  }

  raw(bytes: Buffer): void {
    this.room(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }
}

/** The bytes of one method call; throws when the body does not fit its signature (no value in the message). */
export function marshalCall(call: OutgoingCall): Buffer {
  const out = new WireWriter();
  for (const value of [LITTLE_ENDIAN, METHOD_CALL, 0, PROTOCOL_VERSION]) out.byte(value);
  const bodyLengthAt = out.length;
  out.uint32(0);
  out.uint32(call.serial);
  // The header fields, a(yv): each a struct of its code and a variant of its value.
  const fieldsLengthAt = out.length;
  out.uint32(0);
  out.align(8);
  const fieldsStart = out.length;
  for (const [code, type, key] of FIELDS) {
    const value = call[key];
    if (!value) continue;
    out.align(8);
    out.byte(code);
    writeValue(out, SIGNATURE, type);
    writeValue(out, type === 'g' ? SIGNATURE : STRING, value);
  }
  out.patchUint32(fieldsLengthAt, out.length - fieldsStart);
  out.align(8);
  const bodyStart = out.length;
  if (call.signature && call.body) {
    const types = parseSignature(call.signature);
    if (types.length !== call.body.length) throw new Error('the body does not match its signature');
    types.forEach((type, i) => {
      writeValue(out, type, call.body![i]);
    });
  }
  out.patchUint32(bodyLengthAt, out.length - bodyStart);
  return out.bytes();
}

const SIGNATURE: SignatureNode = { type: 'g', child: [] };
// An object path is written as a string is.
const STRING: SignatureNode = { type: 's', child: [] };

function writeValue(out: WireWriter, type: SignatureNode, value: unknown): void {
  switch (type.type) {
    case 'y':
      out.byte(integer(value, 0, 0xff));
      return;
    case 'b':
      if (!(typeof value === 'boolean' || value === 0 || value === 1)) throw new Error('not a boolean');
      out.uint32(value ? 1 : 0);
      return;
    case 'u':
      out.uint32(integer(value, 0, 0xffffffff));
      return;
    case 's':
    case 'o': {
      const bytes = Buffer.from(text(value), 'utf8');
      out.uint32(bytes.length);
      out.raw(bytes);
      out.byte(0);
      return;
    }
    case 'g': {
      const signature = text(value);
      if (signature.length > 0xff) throw new Error('signature too long');
      parseSignature(signature);
      out.byte(signature.length);
      out.raw(Buffer.from(signature, 'ascii'));
      out.byte(0);
      return;
    }
    case 'a': {
      const element = type.child[0]!;
      if (!Array.isArray(value) && !Buffer.isBuffer(value)) throw new Error('not an array');
      out.align(4);
      const lengthAt = out.length;
      out.uint32(0);
      if (ALIGNED_TO_8.has(element.type)) out.align(8);
      const start = out.length;
      if (element.type === 'y' && Buffer.isBuffer(value)) out.raw(value);
      else for (const item of value) writeValue(out, element, item);
      out.patchUint32(lengthAt, out.length - start);
      return;
    }
    case '(':
    case '{': {
      if (!Array.isArray(value) || value.length !== type.child.length) throw new Error('not a struct');
      out.align(8);
      type.child.forEach((field, i) => {
        writeValue(out, field, value[i]);
      });
      return;
    }
    case 'v': {
      if (!Array.isArray(value) || value.length !== 2) throw new Error('not a variant');
      writeValue(out, { type: 'g', child: [] }, value[0]);
      writeValue(out, parseSingleType(text(value[0])), value[1]);
      return;
    }
    default:
      throw new Error(`type ${type.type} is not one keyrot sends`);
  }
}

/** A string value (a Buffer as its text, as dbus-native takes it), without NUL. */
function text(value: unknown): string {
  const string = Buffer.isBuffer(value) ? value.toString() : value;
  if (typeof string !== 'string' || string.includes('\0')) throw new Error('not a string');
  return string;
}

function integer(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error('not an integer in range');
  }
  return value;
}
