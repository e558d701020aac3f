// The messages keyrot receives from the bus, cut out of the byte stream and read straight from its
// buffers. It replaces @homebridge/dbus-native's reader (test/keychain/unmarshal.test.ts checks that it
// reads what that library reads), which pulls node:assert and a WebAssembly 64-bit integer library into
// every process that opens the keychain (~4 ms on Node 24) and reads each reply through a stream. Unlike
// that reader it checks every length against the message: bytes that do not make a D-Bus message throw.
import { ALIGNED_TO_8, parseSignature, parseSingleType, type SignatureNode } from './signature.js';

/** A message as read from the bus: its header fields by name, its body by its signature. */
export interface IncomingMessage {
  /** 1 method call, 2 method return, 3 error, 4 signal. */
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature?: string;
  /**
   * The values, in @homebridge/dbus-native's notation: `ay` a Buffer (a view of the bytes read), a
   * struct or dict entry an array of its fields, a variant `[signature tree, [value]]`; absent when empty.
   */
  body?: unknown[];
}

/** The fixed part of every message: endianness, type, flags, version, body length, serial, fields length. */
const FIXED_HEADER = 16;
/** The specification's limits on a message and an array. */
const MAX_MESSAGE = 2 ** 27;
const MAX_ARRAY = 2 ** 26;
/** How deep variants may nest in one another (the specification's limit of 64 containers). */
const MAX_VARIANT_DEPTH = 64;
const LITTLE_ENDIAN = 0x6c;
const BIG_ENDIAN = 0x42;

/** A fixed-size type: its size (and alignment), and how it is read in each byte order. */
type Fixed = [
  size: number,
  littleEndian: (this: Buffer, at: number) => number | bigint,
  bigEndian: (this: Buffer, at: number) => number | bigint,
];
const B = Buffer.prototype;
const UINT32: Fixed = [4, B.readUInt32LE, B.readUInt32BE];
const FIXED: Record<string, Fixed> = {
  n: [2, B.readInt16LE, B.readInt16BE],
  q: [2, B.readUInt16LE, B.readUInt16BE],
  i: [4, B.readInt32LE, B.readInt32BE],
  u: UINT32,
  h: UINT32,
  x: [8, B.readBigInt64LE, B.readBigInt64BE],
  t: [8, B.readBigUInt64LE, B.readBigUInt64BE],
  d: [8, B.readDoubleLE, B.readDoubleBE],
};

/** Header field codes, the type each must have, and where it goes (the D-Bus specification, "Header Fields"). */
const FIELDS = new Map<number, [key: keyof IncomingMessage, type: 'string' | 'number']>([
  [1, ['path', 'string']],
  [2, ['interface', 'string']],
  [3, ['member', 'string']],
  [4, ['errorName', 'string']],
  [5, ['replySerial', 'number']],
  [6, ['destination', 'string']],
  [7, ['sender', 'string']],
  [8, ['signature', 'string']],
]);
const FIELD: SignatureNode = parseSingleType('(yv)');

/**
 * Cuts the bytes that follow authentication into messages and hands each to `onMessage` as soon as it
 * is whole, whatever pieces it came in. push() throws (naming no value) on bytes that are not a
 * message; the stream is of no use after that.
 */
export class MessageStream {
  private chunks: Buffer[] = [];
  private size = 0;

  /** @param onMessage receives each message, in the order they came. */
  constructor(private readonly onMessage: (message: IncomingMessage) => void) {}

  /** Takes the next bytes from the bus. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size >= FIXED_HEADER) {
      if (this.chunks[0]!.length < FIXED_HEADER) this.join();
      const length = messageLength(this.chunks[0]!);
      if (this.size < length) return;
      if (this.chunks[0]!.length < length) this.join();
      const bytes = this.chunks[0]!;
      const message = readMessage(bytes.subarray(0, length));
      if (bytes.length === length) this.chunks.shift();
      else this.chunks[0] = bytes.subarray(length);
      this.size -= length;
      this.onMessage(message);
    }
  }

  // Pieces are joined only once a header or a whole message is there: one copy per message at most.
  private join(): void {
    this.chunks = [Buffer.concat(this.chunks)];
  }
}

/** The length of the whole message whose fixed header starts `bytes`; throws when it is not one. */
function messageLength(bytes: Buffer): number {
  const endianness = bytes[0];
  if (endianness !== LITTLE_ENDIAN && endianness !== BIG_ENDIAN) throw new Error('not a D-Bus message');
  if (bytes[3] !== 1) throw new Error('a D-Bus message of another protocol version');
  const le = endianness === LITTLE_ENDIAN;
  const bodyLength = le ? bytes.readUInt32LE(4) : bytes.readUInt32BE(4);
  const fieldsLength = le ? bytes.readUInt32LE(12) : bytes.readUInt32BE(12);
  const length = FIXED_HEADER + align8(fieldsLength) + bodyLength;
  if (length > MAX_MESSAGE) throw new Error('a D-Bus message over the size limit');
  return length;
}

/** One whole message (as messageLength measured it). */
function readMessage(bytes: Buffer): IncomingMessage {
  const le = bytes[0] === LITTLE_ENDIAN;
  const fieldsEnd = FIXED_HEADER + (le ? bytes.readUInt32LE(12) : bytes.readUInt32BE(12));
  const message: IncomingMessage = {
    type: bytes[1]!,
    flags: bytes[2]!,
    serial: le ? bytes.readUInt32LE(8) : bytes.readUInt32BE(8),
  };
  const fields = new WireReader(bytes, le, FIXED_HEADER, fieldsEnd);
  while (fields.at < fieldsEnd) {
    const [code, variant] = fields.value(FIELD, 0) as [number, [SignatureNode[], [unknown]]];
    const field = FIELDS.get(code);
    // Fields of codes this reader does not know are skipped, as the specification asks.
    if (!field) continue;
    const [key, type] = field;
    const value = variant[1][0];
    if (typeof value !== type) throw new Error('a D-Bus header field of the wrong type');
    (message as unknown as Record<string, unknown>)[key] = value;
  }
  const bodyStart = align8(fieldsEnd);
  if (bytes.length > bodyStart && message.signature !== undefined) {
    const body = new WireReader(bytes, le, bodyStart, bytes.length);
    message.body = parseSignature(message.signature).map((type) => body.value(type, 0));
  }
  return message;
}

/** Reads values one after another from a message's bytes, each at its alignment within the message. */
class WireReader {
  /** @param at where the next value starts; @param end where this part of the message ends. */
  constructor(
    private readonly bytes: Buffer,
    private readonly le: boolean,
    public at: number,
    private readonly end: number,
  ) {}

  /** The value of type `type` at the reader's place (variantDepth: how many variants it is inside). */
  value(type: SignatureNode, variantDepth: number): unknown {
    switch (type.type) {
      case 'y':
        this.need(1);
        return this.bytes[this.at++];
      case 'b':
        return this.uint32() !== 0;
      case 'n':
      case 'q':
      case 'i':
      case 'u':
      case 'h':
      case 'x':
      case 't':
      case 'd':
        return this.fixed(FIXED[type.type]!);
      case 's':
      case 'o':
        return this.text(this.uint32());
      case 'g':
        this.need(1);
        return this.text(this.bytes[this.at++]!);
      case 'a':
        return this.array(type.child[0]!, variantDepth);
      case '(':
      case '{': {
        this.align(8);
        return type.child.map((field) => this.value(field, variantDepth));
      }
      case 'v': {
        if (variantDepth >= MAX_VARIANT_DEPTH) throw new Error('variants nested too deep');
        this.need(1);
        const signature = this.text(this.bytes[this.at++]!);
        const inner = parseSingleType(signature);
        return [parseSignature(signature), [this.value(inner, variantDepth + 1)]];
      }
      default:
        throw new Error('a D-Bus type this reader does not know');
    }
  }

  private array(element: SignatureNode, variantDepth: number): unknown {
    const length = this.uint32();
    if (length > MAX_ARRAY) throw new Error('a D-Bus array over the size limit');
    if (ALIGNED_TO_8.has(element.type)) this.align(8);
    this.need(length);
    const end = this.at + length;
    if (element.type === 'y') {
      this.at = end;
      return this.bytes.subarray(end - length, end);
    }
    const items: unknown[] = [];
    while (this.at < end) items.push(this.value(element, variantDepth));
    if (this.at !== end) throw new Error('a D-Bus array whose elements overrun its length');
    return items;
  }

  private uint32(): number {
    return this.fixed(UINT32);
  }

  /** A number of a fixed size, aligned to that size; 64-bit integers rounded beyond 2^53 (keyrot receives none). */
  private fixed([size, littleEndian, bigEndian]: Fixed): number {
    this.align(size);
    this.need(size);
    const value = (this.le ? littleEndian : bigEndian).call(this.bytes, this.at);
    this.at += size;
    return Number(value);
  }

  /** A string of `length` bytes and its NUL. */
  private text(length: number): string {
    this.need(length + 1);
    const value = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length + 1;
    return value;
  }

  private align(n: number): void {
    const at = Math.ceil(this.at / n) * n;
    this.need(at - this.at);
    this.at = at;
  }

  private need(n: number): void {
    if (this.at + n > this.end) throw new Error('a D-Bus value that runs past the end of its message');
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
