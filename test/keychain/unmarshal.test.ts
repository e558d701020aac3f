// keyrot's reader of the messages it receives from the bus against @homebridge/dbus-native's, which it
// replaces: the same messages for every reply keyrot gets (and the bus's signal after Hello), for
// random values of every D-Bus type, in whatever pieces the bytes come; and bytes that are not a
// message (cut, corrupted, oversized, nested too deep) throw an Error naming no value.
import { PassThrough } from 'node:stream';
import wire, { type WireMessage } from '@homebridge/dbus-native/lib/message.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IncomingMessage, MessageStream } from '../../src/keychain/secret-service/unmarshal.js';

const HEADER_KEYS = [
  'type',
  'flags',
  'serial',
  'path',
  'interface',
  'member',
  'errorName',
  'replySerial',
  'destination',
  'sender',
  'signature',
  'body',
] as const;

/** The header fields and body of a message, whichever reader read it. */
function known(message: WireMessage | IncomingMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of HEADER_KEYS) if (message[key] !== undefined) out[key] = message[key];
  return out;
}

/** What dbus-native's reader makes of `bytes` (the reader keyrot used before). */
async function theirs(bytes: Buffer): Promise<Record<string, unknown>[]> {
  const stream = new PassThrough();
  const messages: Record<string, unknown>[] = [];
  wire.unmarshalMessages(stream, (message) => messages.push(known(message)), {});
  stream.end(bytes);
  await new Promise((resolve) => setImmediate(resolve));
  return messages;
}

/** What keyrot's reader makes of `pieces`, given one after another. */
function ours(...pieces: Buffer[]): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  const stream = new MessageStream((message) => messages.push(known(message)));
  for (const piece of pieces) stream.push(piece);
  return messages;
}

const reply = (signature: string, body: unknown[], serial = 9) =>
  wire.marshall({
    type: 2,
    serial,
    replySerial: 4,
    destination: ':1.42',
    sender: ':1.7',
    signature,
    body,
  });

const SESSION = '/org/freedesktop/secrets/session/s3';
const ITEM = '/org/freedesktop/secrets/collection/login/12';

/** Every kind of message keyrot receives. */
const received: [string, Buffer][] = [
  ['Hello', reply('s', [':1.42'])],
  [
    'NameAcquired',
    wire.marshall({
      type: 4,
      serial: 2,
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'NameAcquired',
      destination: ':1.42',
      sender: 'org.freedesktop.DBus',
      signature: 's',
      body: [':1.42'],
    }),
  ],
  ['OpenSession', reply('vo', [['ay', Buffer.alloc(128, 0xc3)], SESSION])],
  ['OpenSession plain', reply('vo', [['s', ''], SESSION])],
  ['ReadAlias', reply('o', ['/org/freedesktop/secrets/collection/login'])],
  ['Get Locked', reply('v', [['b', false]])],
  ['SearchItems', reply('aoao', [[ITEM, `${ITEM}3`], []])],
  ['SearchItems none', reply('aoao', [[], []])],
  ['GetSecret', reply('(oayays)', [[SESSION, Buffer.alloc(16, 1), Buffer.alloc(3008, 7), 'text/plain']])],
  ['CreateItem', reply('oo', [ITEM, '/'])],
  ['Delete', reply('o', ['/'])],
  ['no body', wire.marshall({ type: 2, serial: 5, replySerial: 3 })],
  [
    'error',
    wire.marshall({
      type: 3,
      serial: 6,
      replySerial: 3,
      errorName: 'org.freedesktop.Secret.Error.IsLocked',
      signature: 's',
      body: ['Cannot get secret of a locked object'],
    }),
  ],
];

// Random D-Bus types, with values dbus-native's marshaller takes for each (its notation).
interface Typed {
  signature: string;
  value: fc.Arbitrary<unknown>;
  /** Whether the type may be a dict entry's key. */
  basic: boolean;
}
const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0'));
const basics: Typed[] = [
  { signature: 'y', value: fc.integer({ min: 0, max: 0xff }), basic: true },
  { signature: 'b', value: fc.boolean(), basic: true },
  { signature: 'n', value: fc.integer({ min: -0x8000, max: 0x7fff }), basic: true },
  { signature: 'q', value: fc.integer({ min: 0, max: 0xffff }), basic: true },
  { signature: 'i', value: fc.integer({ min: -0x80000000, max: 0x7fffffff }), basic: true },
  { signature: 'u', value: fc.integer({ min: 0, max: 0xffffffff }), basic: true },
  // 64-bit values as decimal text, so the whole range is written (and read as rounded numbers).
  { signature: 'x', value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), basic: true },
  { signature: 't', value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), basic: true },
  { signature: 'd', value: fc.double({ noNaN: true, noDefaultInfinity: true }), basic: true },
  { signature: 's', value: text, basic: true },
  {
    signature: 'o',
    value: fc.array(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), { maxLength: 3 }).map((p) => `/${p.join('/')}`),
    basic: true,
  },
  { signature: 'g', value: fc.constantFrom('', 's', 'a{sv}', '(oayays)', 'aoao'), basic: true },
];
const typed: fc.Arbitrary<Typed> = fc.letrec<{ type: Typed }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...basics),
    tie('type').map((element) => ({
      signature: `a${element.signature}`,
      value:
        element.signature === 'y'
          ? fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))
          : fc.array(element.value, { maxLength: 4 }),
      basic: false,
    })),
    fc.tuple(fc.constantFrom(...basics), tie('type')).map(([key, value]) => ({
      signature: `a{${key.signature}${value.signature}}`,
      value: fc.array(fc.tuple(key.value, value.value), { maxLength: 4 }),
      basic: false,
    })),
    fc.array(tie('type'), { minLength: 1, maxLength: 4 }).map((fields) => ({
      signature: `(${fields.map((f) => f.signature).join('')})`,
      value: fc.tuple(...fields.map((f) => f.value)),
      basic: false,
    })),
    tie('type').map((inner) => ({
      signature: 'v',
      value: inner.value.map((v) => [inner.signature, v]),
      basic: false,
    })),
  ),
})).type;
/** A message body: a signature of up to four complete types and values for it. */
const body = fc
  .array(typed, { minLength: 1, maxLength: 4 })
  .chain((types) =>
    fc.tuple(fc.constant(types.map((t) => t.signature).join('')), fc.tuple(...types.map((t) => t.value))),
  );

/** `bytes` cut at the given places. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const places = [...new Set(at.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const place of [...places, bytes.length]) {
    pieces.push(bytes.subarray(from, place));
    from = place;
  }
  return pieces;
}

/** What pushing `bytes` does: the messages read, and the error when it threw. */
function attempt(bytes: Buffer): { messages: number; error?: unknown } {
  let messages = 0;
  const stream = new MessageStream(() => messages++);
  try {
    stream.push(bytes);
    return { messages };
  } catch (error) {
    return { messages, error };
  }
}

describe('MessageStream', () => {
  it('reads what dbus-native reads for each message keyrot receives, in one piece and byte by byte', async () => {
    for (const [name, bytes] of received) {
      const expected = await theirs(bytes);
      expect(expected, name).toHaveLength(1);
      expect(ours(bytes), name).toEqual(expected);
      expect(ours(...[...bytes].map((b) => Buffer.from([b]))), name).toEqual(expected);
    }
    const all = Buffer.concat(received.map(([, bytes]) => bytes));
    expect(ours(all)).toEqual(await theirs(all));
  });

  it('reads a big-endian message as dbus-native does', async () => {
    // A reply `s` to serial 4 from a big-endian peer (the bus passes on each sender's byte order).
    const fields = Buffer.from([
      ...[5, 1, 0x75, 0, 0, 0, 0, 4], // replySerial: u 4
      ...[8, 1, 0x67, 0, 1, 0x73, 0], // signature: g "s"
    ]);
    const value = Buffer.from(':1.42\0', 'latin1');
    const payload = Buffer.concat([Buffer.from([0, 0, 0, 5]), value]);
    const head = Buffer.alloc(16);
    head.write('B', 0, 'latin1');
    head[1] = 2;
    head[3] = 1;
    head.writeUInt32BE(payload.length, 4);
    head.writeUInt32BE(77, 8);
    head.writeUInt32BE(fields.length, 12);
    const bytes = Buffer.concat([head, fields, Buffer.alloc(1), payload]);
    const expected = await theirs(bytes);
    expect(expected).toEqual([
      { type: 2, flags: 0, serial: 77, replySerial: 4, signature: 's', body: [':1.42'] },
    ]);
    expect(ours(bytes)).toEqual(expected);
  });

  it('reads what dbus-native reads for random values of every type, in random pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async ([signature, values], serial, places) => {
          const bytes = Buffer.concat([reply(signature, values, serial), reply('s', ['next'], serial)]);
          const expected = await theirs(bytes);
          expect(expected).toHaveLength(2);
          expect(ours(...cut(bytes, places))).toEqual(expected);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('throws an Error naming no value on bytes that are not a message, and never hangs or reads past them', () => {
    const secret = Buffer.from('not-a-real-secret-value');
    const getSecret = reply('(oayays)', [[SESSION, Buffer.alloc(16, 1), secret, 'text/plain']]);
    fc.assert(
      fc.property(
        fc.nat({ max: getSecret.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: getSecret.length }),
        (at, byte, length) => {
          const corrupted = Buffer.from(getSecret);
          corrupted[at] = byte;
          for (const bytes of [corrupted, corrupted.subarray(0, length)]) {
            const { messages, error } = attempt(bytes);
            expect(messages).toBeLessThanOrEqual(1);
            if (error !== undefined) {
              expect(error).toBeInstanceOf(Error);
              expect(String(error)).not.toContain(secret.toString());
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
    const oversized = Buffer.from(getSecret);
    oversized.writeUInt32LE(2 ** 28, 4);
    expect(attempt(oversized).error).toEqual(new Error('a D-Bus message over the size limit'));
    const notOne = Buffer.from(getSecret);
    notOne[0] = 0x41;
    expect(attempt(notOne).error).toEqual(new Error('not a D-Bus message'));
    const arrayPastEnd = reply('ay', [Buffer.alloc(8)]);
    arrayPastEnd.writeUInt32LE(1_000, arrayPastEnd.length - 12);
    expect(attempt(arrayPastEnd).error).toEqual(
      new Error('a D-Bus value that runs past the end of its message'),
    );
  });

  it('refuses variants nested deeper than the specification allows', () => {
    let value: unknown = ['s', 'deep'];
    for (let i = 0; i < 70; i++) value = ['v', value];
    const bytes = reply('v', [value]);
    expect(attempt(bytes).error).toEqual(new Error('variants nested too deep'));
  });
});
