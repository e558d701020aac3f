// The agent's server, in the running daemon (docs/agent.md): on its private socket it answers each
// connection's one request line with the protected profile's key, read from the keychain through the
// injected lookup at that moment (never cached: a rotation by another process is served at once), then
// closes. Anything it cannot serve gets a refusal, and the client reads the keychain itself, which
// prints the one canonical error: this side formats none.
import { createServer, type Socket } from 'node:net';
import type { ProcessCredentials } from '../credentials/process-output.js';
import type { Logger } from '../log/logger.js';
import { type AgentReply, agentLine, MAX_LINE_BYTES, parseAgentRequest, REFUSAL } from './protocol.js';

/** Reads a protected profile's key from the keychain: null when the profile has no protected entry. */
export type ProtectedKeyLookup = (profile: string, configFile: string) => Promise<ProcessCredentials | null>;

/** How long a connection may take to send its request line before it is dropped. */
export const REQUEST_TIMEOUT_MS = 5_000;

/** How many connections are served at once; more are closed at once (their clients read directly). */
export const MAX_CONNECTIONS = 64;

/** Options of listenAgent. */
export interface AgentServerOptions {
  /** Where to listen: a path nothing is at (src/agent/socket-file.ts prepares it). */
  socketPath: string;
  /** The keychain service the lookup reads: a request for another one is refused. */
  service: string;
  lookup: ProtectedKeyLookup;
  logger: Logger;
  /** Default REQUEST_TIMEOUT_MS (tests shorten it). */
  requestTimeoutMs?: number;
}

/** A listening agent. */
export interface AgentServer {
  /** Stops listening and drops the connections in progress. */
  close(): Promise<void>;
}

/** Listens on `options.socketPath` and serves each connection one answer. */
export async function listenAgent(options: AgentServerOptions): Promise<AgentServer> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    serveOne(socket, options);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A failing accept (out of file descriptors) must not end the daemon: its clients read directly.
  server.on('error', (error) => options.logger.debug('agent: socket error', { error }));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads one request line from `socket` (within the timeout and size limit), answers it and closes. */
function serveOne(socket: Socket, options: AgentServerOptions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => socket.destroy(), options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
  socket.on('close', () => clearTimeout(timer));
  socket.on('error', () => socket.destroy());
  const onData = (chunk: Buffer) => {
    const newline = chunk.indexOf(0x0a);
    chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
    size += newline === -1 ? chunk.length : newline + 1;
    if (size > MAX_LINE_BYTES) {
      options.logger.debug('agent: dropped a request longer than the limit', { bytes: size });
      socket.destroy();
      return;
    }
    if (newline === -1) return;
    clearTimeout(timer);
    socket.off('data', onData);
    void answer(Buffer.concat(chunks).toString('utf8'), options).then((reply) => {
      if (!socket.destroyed) socket.end(agentLine(reply));
    });
  };
  socket.on('data', onData);
}

/** The reply to one request line: the key, or a refusal (never an error text). */
async function answer(line: string, options: AgentServerOptions): Promise<AgentReply> {
  const request = parseAgentRequest(line);
  if (!request) {
    options.logger.debug('agent: refused a malformed request');
    return REFUSAL;
  }
  const { profile, configFile } = request;
  if (request.service !== options.service) {
    options.logger.debug('agent: refused a request for another keychain service', { profile });
    return REFUSAL;
  }
  try {
    const key = await options.lookup(profile, configFile);
    if (!key) {
      options.logger.debug('agent: no protected key for profile', { profile, configFile });
      return REFUSAL;
    }
    options.logger.debug('agent: served credentials for profile', { profile });
    return { v: 1, ok: true, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  } catch (error) {
    // The client reads the keychain itself and prints this failure as keyrot prints every error.
    options.logger.debug('agent: the keychain read failed', { profile, error });
    return REFUSAL;
  }
}
