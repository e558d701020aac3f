// The agent client's connection to the daemon's socket, as the exchange in client.ts uses it: one
// request out once connected, the reply's bytes in, and an end. Made with node:net here; pipe-handle.ts
// makes the same connection for less where Node allows it.

/** What a connection reports. `connected` and `closed` come at most once each; no event after `closed`. */
export interface ConnectionEvents {
  /** Connected, and the request is on its way. */
  connected(): void;
  /** Bytes of the reply. */
  data(chunk: Buffer): void;
  /** The peer closed the connection, or connecting or reading failed. */
  closed(): void;
}

/** A connection being made or made. */
export interface AgentConnection {
  /** Drops the connection; no event follows. */
  destroy(): void;
}

/** Connects to the Unix socket at `socketPath`, sends `request` as soon as it is connected and reports to `events`. */
export type ConnectAgent = (socketPath: string, request: string, events: ConnectionEvents) => AgentConnection;

/** A ConnectAgent over node:net, loaded only now (~1.7 ms on Node 24). */
export async function netConnector(): Promise<ConnectAgent> {
  const { createConnection } = await import('node:net');
  return (socketPath, request, events) => {
    let open = true;
    const closed = () => {
      if (open) {
        open = false;
        events.closed();
      }
    };
    const socket = createConnection(socketPath);
    socket.on('error', closed);
    socket.on('end', closed);
    socket.on('data', (chunk: Buffer) => {
      if (open) events.data(chunk);
    });
    socket.write(request);
    // Node writes the request from its own 'connect' listener, added by write() above: this one runs after.
    socket.once('connect', () => {
      if (open) events.connected();
    });
    return {
      destroy() {
        open = false;
        socket.destroy();
      },
    };
  };
}
