import { createConnection, type Socket } from 'node:net';
import type { WireMessage } from '@homebridge/dbus-native/lib/message.js';
import { traceSpan } from '../../time/trace.js';
import type { BusSocket } from './bus-address.js';
import { DbusErrorReply, DbusNoReply, DbusUnreachable } from './dbus-errors.js';

const METHOD_CALL = 1;
const METHOD_RETURN = 2;
const ERROR = 3;

/** One method call: where it goes and its arguments in @homebridge/dbus-native's notation. */
export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  /** D-Bus signature of `body`, e.g. `a{ss}`; omitted for no arguments. */
  signature?: string;
  body?: unknown[];
}

interface Pending {
  member: string;
  resolve: (body: unknown[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type Wire = typeof import('@homebridge/dbus-native/lib/message.js').default;

/**
 * One connection to the D-Bus session bus, with method calls matched to their replies and a timeout
 * per call. Many calls may be in flight at once. The socket never keeps the process alive by itself:
 * it holds the event loop only while a call waits for its reply.
 */
export class BusConnection {
  private serial = 1;
  private readonly pending = new Map<number, Pending>();
  private lost: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly wire: Wire,
  ) {}

  /** Connects, authenticates and says Hello; DbusUnreachable when there is no bus to talk to. */
  static async open(target: BusSocket, timeoutMs: number): Promise<BusConnection> {
    // The wire protocol is loaded on first use: most keyrot commands never touch the keychain.
    const [{ default: wire }, { default: handshake }] = await Promise.all([
      import('@homebridge/dbus-native/lib/message.js'),
      import('@homebridge/dbus-native/lib/handshake.js'),
    ]);
    const socket = createConnection({ path: target.path });
    try {
      await untilReady(socket, timeoutMs, (done) => handshake(socket, {}, (error) => done(error)));
    } catch (error) {
      socket.destroy();
      throw error;
    }
    const bus = new BusConnection(socket, wire);
    wire.unmarshalMessages(socket, (message) => bus.receive(message), {});
    socket.on('error', (error) => bus.fail(error));
    socket.on('close', () => bus.fail(null));
    socket.unref();
    try {
      await bus.call(
        {
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'Hello',
        },
        timeoutMs,
      );
    } catch (error) {
      bus.close();
      throw error instanceof DbusUnreachable
        ? error
        : new DbusUnreachable('the bus refused Hello', { cause: error });
    }
    return bus;
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
      bytes = this.wire.marshall({ ...message, type: METHOD_CALL, serial });
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

  private receive(message: WireMessage): void {
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

  private fail(cause: Error | null): void {
    this.lost ??= new DbusUnreachable('the D-Bus connection closed', cause ? { cause } : undefined);
    for (const serial of [...this.pending.keys()]) this.settle(serial)?.reject(this.lost);
  }
}

/** Waits for the socket to connect and `handshake` to finish; DbusUnreachable on error, close or timeout. */
function untilReady(
  socket: Socket,
  timeoutMs: number,
  handshake: (done: (error: Error | null) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => {
      cleanup();
      reject(new DbusUnreachable(`cannot connect to the D-Bus session bus: ${why}`, { cause }));
    };
    const onError = (error: Error) => fail(error.message, error);
    const onClose = () => fail('the bus closed the connection during authentication');
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.on('error', onError);
    socket.on('close', onClose);
    handshake((error) => {
      if (error) return fail(error.message, error);
      cleanup();
      resolve();
    });
  });
}
