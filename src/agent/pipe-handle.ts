// The agent client's connection made on libuv's pipe handle directly, the handle a net.Socket wraps.
// node:net costs `keyrot credentials` ~3 ms on Node 24 (loading its stream modules ~1.9 ms, making one
// Socket ~1.2 ms), more than a third of all it adds to node's own start; the handle alone costs a few
// tenths. Node reaches it through process.binding('pipe_wrap'), deprecated (DEP0111) yet kept for
// compatibility in Node 20 to 24: where it is missing, differs, would print a deprecation warning
// (--pending-deprecation) or is refused (--permission), pipeHandleConnector returns undefined and the
// client uses node:net (connection.ts).
import type { AgentConnection, ConnectAgent, ConnectionEvents } from './connection.js';

/** libuv's pipe handle as Node's pipe_wrap binding makes it (the part used here). */
interface PipeHandle {
  connect(request: ConnectRequest, path: string): number;
  writeUtf8String(request: WriteRequest, text: string): number;
  readStart(): number;
  close(): void;
  /**
   * Called with each read: its byte count (negative: an error or the end) is in the stream state.
   * Always a function: Node aborts the process when anything else is assigned.
   */
  onread: (buffer: ArrayBuffer) => void;
}

interface ConnectRequest {
  oncomplete?: (status: number) => void;
}

interface WriteRequest {
  handle?: PipeHandle;
  oncomplete?: () => void;
  async?: boolean;
}

/** The two bindings, checked to have the shape used here. */
interface Bindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => ConnectRequest;
  socketType: number;
  WriteWrap: new () => WriteRequest;
  state: Int32Array;
  bytesRead: number;
  offset: number;
}

/** The bindings once looked up: null where Node does not offer them as expected. */
let bindings: Bindings | null | undefined;

/** The bindings, or null where Node does not offer them as this file expects. */
function loadBindings(): Bindings | null {
  const { binding } = process as unknown as { binding?: ((name: string) => unknown) & { name?: string } };
  // Under --pending-deprecation Node wraps process.binding to print a warning: the AWS tools would show it.
  if (typeof binding !== 'function' || binding.name !== 'binding') return null;
  try {
    const pipe = binding('pipe_wrap') as Record<string, unknown> & { constants?: Record<string, unknown> };
    const stream = binding('stream_wrap') as Record<string, unknown>;
    const { Pipe, PipeConnectWrap } = pipe;
    const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = stream;
    const socketType = pipe.constants?.SOCKET;
    if (
      typeof Pipe !== 'function' ||
      typeof PipeConnectWrap !== 'function' ||
      typeof WriteWrap !== 'function' ||
      typeof socketType !== 'number' ||
      !(streamBaseState instanceof Int32Array) ||
      typeof kReadBytesOrError !== 'number' ||
      typeof kArrayBufferOffset !== 'number'
    )
      return null;
    return {
      Pipe: Pipe as Bindings['Pipe'],
      PipeConnectWrap: PipeConnectWrap as Bindings['PipeConnectWrap'],
      socketType,
      WriteWrap: WriteWrap as Bindings['WriteWrap'],
      state: streamBaseState,
      bytesRead: kReadBytesOrError,
      offset: kArrayBufferOffset,
    };
  } catch {
    // --permission refuses process.binding.
    return null;
  }
}

/** A ConnectAgent on libuv's pipe handle, or undefined where Node does not offer it (see above). */
export function pipeHandleConnector(): ConnectAgent | undefined {
  if (bindings === undefined) bindings = loadBindings();
  const b = bindings;
  return b ? (socketPath, request, events) => connect(b, socketPath, request, events) : undefined;
}

function connect(
  b: Bindings,
  socketPath: string,
  request: string,
  events: ConnectionEvents,
): AgentConnection {
  const handle = new b.Pipe(b.socketType);
  const connecting = new b.PipeConnectWrap();
  let open = true;
  // Kept until the end: the write request must outlive its write.
  let writing: WriteRequest | undefined;
  const close = () => {
    if (!open) return;
    open = false;
    handle.close();
  };
  const fail = () => {
    if (!open) return;
    close();
    events.closed();
  };
  handle.onread = (buffer) => {
    if (!open) return;
    const n = b.state[b.bytesRead]!;
    // A negative count is the end of the stream or a read error: either way the exchange is over.
    if (n < 0) fail();
    else if (n > 0) events.data(Buffer.from(new Uint8Array(buffer, b.state[b.offset], n)));
  };
  connecting.oncomplete = (status) => {
    if (!open) return;
    if (status < 0) return fail();
    writing = new b.WriteWrap();
    writing.handle = handle;
    writing.oncomplete = () => undefined;
    writing.async = false;
    if (handle.writeUtf8String(writing, request) < 0 || handle.readStart() < 0) return fail();
    events.connected();
  };
  const error = handle.connect(connecting, socketPath);
  // Reported on a later turn, as a failure to connect is by libuv.
  if (error < 0) setImmediate(fail);
  return {
    destroy() {
      writing = undefined;
      close();
    },
  };
}
