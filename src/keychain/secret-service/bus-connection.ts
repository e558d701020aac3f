import { createConnection, type Socket } from 'node:net';
import { traceSpan } from '../../time/trace.js';
import type { BusSocket } from './bus-address.js';
import { DbusErrorReply, DbusNoReply, DbusUnreachable } from './dbus-errors.js';
import { marshalCall } from './marshal.js';
import { type IncomingMessage, MessageStream } from './unmarshal.js';

const METHOD_RETURN = 2;
const ERROR = 3;

/** The longest line a server may send during authentication (the OK line is ~40 bytes). */
const MAX_AUTH_LINE = 1024;

/** One method call: where it goes and its arguments in @homebridge/dbus-native's notation (marshal.ts). */
export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  /** D-Bus signature of `body`, e.g. `a{ss}`; omitted for no arguments. */
  signature?: string;
  body?: unknown[];
}

const HELLO: MethodCall = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
  member: 'Hello',
};

interface Pending {
  member: string;
  resolve: (body: unknown[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One connection to the D-Bus session bus, with method calls matched to their replies and a timeout
 * per call. Calls are pipelined: each is written at once, whatever is still waiting for its reply
 * (the protocol matches replies by serial). The socket never keeps the process alive by itself: it
 * holds the event loop only while a call waits for its reply.
 */
export class BusConnection {
  private serial = 1;
  private readonly pending = new Map<number, Pending>();
  private lost: Error | null = null;
  /** The reader of the bus's messages once the server accepted us; until then the bytes of its auth reply. */
  private messages: MessageStream | null = null;
  private authReply = Buffer.alloc(0);
  /** Fails open() while the socket is not connected yet. */
  private connecting: ((error: Error) => void) | null = null;
  /** Gives up when the server does not accept us in time. */
  private authTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly socket: Socket) {}

  /**
   * Connects, authenticates and says Hello, all in one write: the protocol lets a client send BEGIN
   * and its first messages without waiting for the server's OK (as sd-bus does). Resolves once the
   * socket is connected, with the authentication and Hello on their way: calls made now are written
   * at once and queue behind them on the bus, and fail with DbusUnreachable if the bus refuses us.
   * Rejects with DbusUnreachable when there is no bus at that address.
   */
  static open(target: BusSocket, timeoutMs: number): Promise<BusConnection> {
    return traceSpan(
      'D-Bus connect',
      () =>
        new Promise((resolve, reject) => {
          const socket = createConnection({ path: target.path });
          const bus = new BusConnection(socket);
          bus.connecting = reject;
          bus.authTimer = setTimeout(() => {
            bus.fail(bus.unreachable(`no answer within ${timeoutMs} ms`));
            socket.destroy();
          }, timeoutMs);
          bus.authTimer.unref();
          socket.once('connect', () => {
            bus.connecting = null;
            resolve(bus);
          });
          socket.on('data', (chunk: Buffer) => bus.read(chunk));
          socket.on('error', (error) => bus.fail(bus.unreachable(error.message, error)));
          socket.on('close', () =>
            bus.fail(bus.unreachable('the bus closed the connection during authentication')),
          );
          socket.unref();
          // EXTERNAL: the server checks the socket peer's uid against the one we name (its digits in hex).
          const uid = Buffer.from(String(process.getuid?.() ?? 0), 'ascii').toString('hex');
          socket.write(`\0AUTH EXTERNAL ${uid}\r\nBEGIN\r\n`);
          // The bus drops a client whose Hello fails: nothing else on this connection can work then.
          bus.call(HELLO, timeoutMs).catch((error: unknown) => {
            bus.fail(new DbusUnreachable('the bus refused Hello', { cause: error }));
            socket.destroy();
          });
        }),
    );
  }

  /** False once the connection closed or broke; every later call fails with DbusUnreachable. */
  get open(): boolean {
    return this.lost === null;
  }

  /** Sends a method call and resolves with the reply's body; DbusErrorReply, DbusNoReply or DbusUnreachable otherwise. */
  call(message: MethodCall, timeoutMs: number): Promise<unknown[]> {
    return traceSpan(`D-Bus ${message.member}`, () => this.roundTrip(message, timeoutMs));
  }

  private roundTrip(message: MethodCall, timeoutMs: number): Promise<unknown[]> {
    if (this.lost) return Promise.reject(this.lost);
    const serial = this.serial++;
    let bytes: Buffer;
    try {
      bytes = marshalCall({ ...message, serial });
    } catch {
      // The library's own message would quote the arguments, which may hold a secret.
      return Promise.reject(
        new Error(`${message.member}: the arguments do not fit signature ${message.signature}`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(serial);
        reject(new DbusNoReply(message.member, timeoutMs));
      }, timeoutMs);
      this.pending.set(serial, { member: message.member, resolve, reject, timer });
      // Hold the event loop while a reply is awaited (the timer does too), and only then.
      this.socket.ref();
      this.socket.write(bytes);
    });
  }

  /** Closes the connection; calls still waiting fail with DbusUnreachable. */
  close(): void {
    this.fail(null);
    this.socket.destroy();
  }

  /** Bytes from the bus: the server's auth reply line first, then messages. */
  private read(chunk: Buffer): void {
    if (this.messages) {
      this.take(chunk);
      return;
    }
    this.authReply = Buffer.concat([this.authReply, chunk]);
    const end = this.authReply.indexOf('\r\n');
    if (end < 0) {
      if (this.authReply.length > MAX_AUTH_LINE) this.refused('an over-long line');
      return;
    }
    const line = this.authReply.subarray(0, end).toString('latin1');
    // `OK <server guid>`; anything else (REJECTED, ERROR) means it did not take EXTERNAL.
    if (!line.startsWith('OK ')) {
      this.refused(JSON.stringify(line.slice(0, 100)));
      return;
    }
    const rest = this.authReply.subarray(end + 2);
    this.authReply = Buffer.alloc(0);
    this.messages = new MessageStream((message) => this.receive(message));
    clearTimeout(this.authTimer);
    if (rest.length > 0) this.take(rest);
  }

  /** Messages from the bus; bytes that are not one end the connection (nothing on it can be trusted then). */
  private take(chunk: Buffer): void {
    try {
      this.messages!.push(chunk);
    } catch (error) {
      this.fail(new DbusUnreachable('the bus sent bytes that are not a D-Bus message', { cause: error }));
      this.socket.destroy();
    }
  }

  private refused(answer: string): void {
    this.fail(this.unreachable(`it refused EXTERNAL authentication (answer ${answer})`));
    this.socket.destroy();
  }

  /** Why the bus cannot be used: during authentication it was never reached, after it the connection broke. */
  private unreachable(why: string, cause?: Error): DbusUnreachable {
    return this.messages
      ? new DbusUnreachable('the D-Bus connection closed', cause ? { cause } : undefined)
      : new DbusUnreachable(`cannot connect to the D-Bus session bus: ${why}`, cause ? { cause } : undefined);
  }

  private receive(message: IncomingMessage): void {
    if (message.type !== METHOD_RETURN && message.type !== ERROR) return;
    const call = message.replySerial === undefined ? undefined : this.settle(message.replySerial);
    if (!call) return;
    const body = message.body ?? [];
    if (message.type === METHOD_RETURN) call.resolve(body);
    else {
      const text = typeof body[0] === 'string' ? body[0] : '';
      call.reject(
        new DbusErrorReply(message.errorName ?? 'org.freedesktop.DBus.Error.Failed', text, call.member),
      );
    }
  }

  private settle(serial: number): Pending | undefined {
    const call = this.pending.get(serial);
    if (!call) return undefined;
    this.pending.delete(serial);
    clearTimeout(call.timer);
    if (this.pending.size === 0) this.socket.unref();
    return call;
  }

  /** Marks the connection lost (`why`, else closed) and fails whatever waits on it; the first cause stays. */
  private fail(why: DbusUnreachable | null): void {
    this.lost ??= why ?? new DbusUnreachable('the D-Bus connection closed');
    clearTimeout(this.authTimer);
    this.connecting?.(this.lost);
    this.connecting = null;
    for (const serial of [...this.pending.keys()]) this.settle(serial)?.reject(this.lost);
  }
}
