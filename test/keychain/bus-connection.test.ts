// The D-Bus connection's wire behaviour against a scripted bus on a Unix socket (fault injection: what
// a real dbus-daemon never does on cue): authentication and Hello pipelined in the first write, replies
// cut into pieces at every byte, replies out of order, a refused authentication. The messages on both
// sides are @homebridge/dbus-native's real marshalling.
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import wire, { type WireMessage } from '@homebridge/dbus-native/lib/message.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusConnection } from '../../src/keychain/secret-service/bus-connection.js';
import { DbusErrorReply, DbusUnreachable } from '../../src/keychain/secret-service/dbus-errors.js';
import { generateDhKeyPair } from '../../src/keychain/secret-service/dh-key.js';
import { SecretServiceStore } from '../../src/keychain/secret-service/store.js';
import { tempDir } from '../support/cleanup.js';
import { keyrotFailure } from './fault-helpers.js';

const CALL = {
  destination: 'org.example.Echo',
  path: '/org/example/Echo',
  interface: 'org.example.Echo',
  member: 'Echo',
  signature: 's',
};

let dir: string;
const servers: Server[] = [];
const buses: BusConnection[] = [];
beforeEach(async () => {
  dir = await tempDir('bus-connection');
});
afterEach(() => {
  for (const bus of buses.splice(0)) bus.close();
  for (const server of servers.splice(0)) server.close();
});

/** What the scripted bus saw on one connection before it first answered. */
interface Seen {
  /** The authentication lines (NUL byte stripped). */
  auth: string[];
  /** The method calls that had arrived whole by then. */
  calls: WireMessage[];
}

/**
 * A scripted bus: reads the client's authentication and method calls, and once `ready(seen)` holds,
 * answers with `reply(seen)`: bytes written in the pieces `split` cuts them into.
 */
async function scriptedBus(options: {
  ready: (seen: Seen) => boolean;
  reply: (seen: Seen) => Buffer;
  split?: (bytes: Buffer) => Buffer[];
  /** The answer to each call that comes after that reply. */
  later?: (call: WireMessage) => Buffer;
}): Promise<{ path: string; seen: Seen[] }> {
  const all: Seen[] = [];
  const server = createServer((socket: Socket) => {
    const seen: Seen = { auth: [], calls: [] };
    all.push(seen);
    let authBytes = Buffer.alloc(0);
    let messages: PassThrough | null = null;
    let answered = false;
    const answerWhenReady = () => {
      if (answered || !options.ready(seen)) return;
      answered = true;
      const bytes = options.reply(seen);
      void (async () => {
        for (const piece of options.split ? options.split(bytes) : [bytes]) {
          socket.write(piece);
          // Each piece its own read on the client's side.
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
    };
    socket.on('data', (chunk: Buffer) => {
      if (messages) {
        messages.write(chunk);
        return;
      }
      authBytes = Buffer.concat([authBytes, chunk]);
      for (let end = authBytes.indexOf('\r\n'); end >= 0 && !messages; end = authBytes.indexOf('\r\n')) {
        seen.auth.push(authBytes.subarray(0, end).toString('latin1').replace(/^\0/, ''));
        authBytes = authBytes.subarray(end + 2);
        if (seen.auth.at(-1) === 'BEGIN') {
          // The rest is messages, read with the library's own unmarshaller.
          messages = new PassThrough();
          wire.unmarshalMessages(
            messages,
            (message) => {
              seen.calls.push(message);
              if (answered && options.later) socket.write(options.later(message));
              answerWhenReady();
            },
            {},
          );
          messages.write(authBytes);
        }
      }
      answerWhenReady();
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  const path = join(dir, `bus-${servers.length}`);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, seen: all };
}

const OK = Buffer.from('OK 0123456789abcdef0123456789abcdef\r\n');

/** The bus's OK, its reply to Hello (the first call), then `answers`. */
function accepted(seen: Seen, ...answers: Buffer[]): Buffer {
  return Buffer.concat([OK, reply(seen.calls[0]!, 1, 's', [':1.42']), ...answers]);
}

function reply(to: WireMessage, serial: number, signature: string, body: unknown[]): Buffer {
  return wire.marshall({ type: 2, serial, replySerial: to.serial, signature, body });
}

function errorReply(to: WireMessage, serial: number, name: string, text: string): Buffer {
  return wire.marshall({
    type: 3,
    serial,
    replySerial: to.serial,
    errorName: name,
    signature: 's',
    body: [text],
  });
}

async function open(path: string, timeoutMs = 2_000): Promise<BusConnection> {
  const bus = await BusConnection.open({ path }, timeoutMs);
  buses.push(bus);
  return bus;
}

describe('BusConnection', () => {
  it('sends AUTH, BEGIN and Hello in its first write, and calls before the server has answered anything', async () => {
    const bus = await scriptedBus({
      // The bus answers nothing until Hello and both calls are there: a client that waited for OK
      // (or for Hello's reply) before writing on would never get an answer.
      ready: (seen) => seen.calls.length === 3,
      reply: (seen) =>
        accepted(seen, reply(seen.calls[1]!, 2, 's', ['first']), reply(seen.calls[2]!, 3, 's', ['second'])),
    });
    const connection = await open(bus.path);
    const [first, second] = await Promise.all([
      connection.call({ ...CALL, body: ['one'] }, 2_000),
      connection.call({ ...CALL, body: ['two'] }, 2_000),
    ]);
    expect(first).toEqual(['first']);
    expect(second).toEqual(['second']);
    const [seen] = bus.seen;
    expect(seen!.auth).toEqual([
      `AUTH EXTERNAL ${Buffer.from(String(process.getuid!())).toString('hex')}`,
      'BEGIN',
    ]);
    expect(seen!.calls.map((c) => c.member)).toEqual(['Hello', 'Echo', 'Echo']);
    expect(seen!.calls.map((c) => c.body)).toEqual([undefined, ['one'], ['two']]);
  });

  it('takes the OK line and the replies cut into pieces of one byte, answered out of order', async () => {
    const bus = await scriptedBus({
      ready: (seen) => seen.calls.length === 3,
      reply: (seen) =>
        accepted(
          seen,
          reply(seen.calls[2]!, 2, 's', ['answer to the second']),
          errorReply(seen.calls[1]!, 3, 'org.example.Error.Nope', 'the first failed'),
        ),
      split: (bytes) => [...bytes].map((byte) => Buffer.from([byte])),
    });
    const connection = await open(bus.path);
    const first = connection.call({ ...CALL, body: ['one'] }, 5_000);
    const second = connection.call({ ...CALL, body: ['two'] }, 5_000);
    await expect(first).rejects.toMatchObject({
      name: 'DbusErrorReply',
      errorName: 'org.example.Error.Nope',
      message: 'Echo: org.example.Error.Nope: the first failed',
    });
    expect(await second).toEqual(['answer to the second']);
    expect(connection.open).toBe(true);
  });

  it('an error reply in the middle of a pipeline fails that call alone', async () => {
    const bus = await scriptedBus({
      ready: (seen) => seen.calls.length === 4,
      reply: (seen) =>
        accepted(
          seen,
          reply(seen.calls[1]!, 2, 's', ['a']),
          errorReply(seen.calls[2]!, 3, 'org.freedesktop.Secret.Error.NoSuchObject', 'no such item'),
          reply(seen.calls[3]!, 4, 's', ['c']),
        ),
    });
    const connection = await open(bus.path);
    const results = await Promise.allSettled(
      ['a', 'b', 'c'].map((body) => connection.call({ ...CALL, body: [body] }, 2_000)),
    );
    expect(results[0]).toEqual({ status: 'fulfilled', value: ['a'] });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(DbusErrorReply) });
    expect(results[2]).toEqual({ status: 'fulfilled', value: ['c'] });
  });

  it('a bus that refuses EXTERNAL: every call fails with DbusUnreachable quoting its answer', async () => {
    const bus = await scriptedBus({
      ready: (seen) => seen.auth.length > 0,
      reply: () => Buffer.from('REJECTED DBUS_COOKIE_SHA1\r\n'),
    });
    const connection = await open(bus.path);
    const error = await connection.call({ ...CALL, body: ['x'] }, 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbusUnreachable);
    expect((error as Error).message).toBe(
      'cannot connect to the D-Bus session bus: it refused EXTERNAL authentication (answer "REJECTED DBUS_COOKIE_SHA1")',
    );
    expect(connection.open).toBe(false);

    const store = new SecretServiceStore('keyrot-test', {
      env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${bus.path}` },
    });
    const failure = await keyrotFailure(store.get('a'));
    expect(failure.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(failure.message).toMatch(/no D-Bus session bus/);
  });

  it('a bus that sends bytes that are not a D-Bus message: calls fail with DbusUnreachable, the store with KEYCHAIN_UNAVAILABLE', async () => {
    const secret = 'not-a-real-secret-value';
    // A reply whose array claims more bytes than its message holds, the secret's bytes inside it.
    const hostile = (seen: Seen) => {
      const bytes = reply(seen.calls[1] ?? seen.calls[0]!, 2, 'ay', [Buffer.from(secret)]);
      bytes.writeUInt32LE(1_000, bytes.length - secret.length - 4);
      return bytes;
    };
    const bus = await scriptedBus({
      ready: (seen) => seen.calls.length === 2,
      reply: (seen) => accepted(seen, hostile(seen)),
    });
    const connection = await open(bus.path);
    const error = await connection.call({ ...CALL, body: ['x'] }, 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbusUnreachable);
    expect((error as Error).message).toBe('the bus sent bytes that are not a D-Bus message');
    expect(connection.open).toBe(false);

    const store = new SecretServiceStore('keyrot-test', {
      env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${bus.path}` },
    });
    const failure = await keyrotFailure(store.get('a'));
    expect(failure.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(secret);
    await store.close();
  });

  it("asks at the path ReadAlias names whether the default keyring is locked, when the service has no object at the alias's path", async () => {
    const service = generateDhKeyPair();
    const login = '/org/freedesktop/secrets/collection/login';
    const bus = await scriptedBus({
      // Everything checkWritable needs comes in the first write: Hello, OpenSession, ReadAlias, Get.
      ready: (seen) => seen.calls.length === 4,
      reply: (seen) =>
        accepted(
          seen,
          reply(seen.calls[1]!, 2, 'vo', [['ay', service.publicKey], '/org/freedesktop/secrets/session/1']),
          reply(seen.calls[2]!, 3, 'o', [login]),
          errorReply(seen.calls[3]!, 4, 'org.freedesktop.DBus.Error.UnknownMethod', 'Object does not exist'),
        ),
      later: (call) => reply(call, 5, 'v', [['b', false]]),
    });
    const store = new SecretServiceStore('keyrot-test', {
      env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${bus.path}` },
    });
    await store.checkWritable();
    await store.close();
    expect(bus.seen[0]!.calls.map((c) => `${c.member} ${c.path}`)).toEqual([
      'Hello /org/freedesktop/DBus',
      'OpenSession /org/freedesktop/secrets',
      'ReadAlias /org/freedesktop/secrets',
      'Get /org/freedesktop/secrets/aliases/default',
      `Get ${login}`,
    ]);
  });

  it('a bus whose Hello fails takes every call on the connection down with it', async () => {
    const bus = await scriptedBus({
      ready: (seen) => seen.calls.length === 2,
      reply: (seen) =>
        Buffer.concat([
          OK,
          errorReply(seen.calls[0]!, 1, 'org.freedesktop.DBus.Error.LimitsExceeded', 'too many'),
        ]),
    });
    const connection = await open(bus.path);
    const error = await connection.call({ ...CALL, body: ['x'] }, 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbusUnreachable);
    expect((error as Error).message).toBe('the bus refused Hello');
    expect(connection.open).toBe(false);
  });
});
