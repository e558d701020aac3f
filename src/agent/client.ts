// The agent's client, which `keyrot credentials --profile P` asks first (docs/agent.md): the running
// daemon already holds an open keychain, so asking it over its socket is much faster than starting a
// D-Bus session here. Small on purpose (it is part of the bin, src/bin.ts): a few pure helpers, and a
// connection made only once there is a socket to connect to (pipe-handle.ts, else node:net). Any doubt
// or failure answers undefined, and the caller reads the keychain itself.
import { existsSync, lstatSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { agentSocketPath } from '../config/paths.js';
import { resolveAwsFilePaths } from '../credentials/paths.js';
import type { ProcessCredentials } from '../credentials/process-output.js';
import { privateDirProblemSync } from '../fs/private-dir.js';
import { keychainService } from '../keychain/service-name.js';
import { traceSpan } from '../time/trace.js';
import { type AgentConnection, type ConnectAgent, netConnector } from './connection.js';
import { pipeHandleConnector } from './pipe-handle.js';
import { agentLine, keyInAgentReply, MAX_LINE_BYTES, socketPathFits } from './protocol.js';

/**
 * How long the agent's answer is waited for before reading the keychain directly. The daemon's first
 * request loads its keychain code (it runs --jitless), and a hung daemon must not hang the AWS CLI.
 */
export const AGENT_REPLY_TIMEOUT_MS = 3_000;

/** Options of credentialsFromAgent (tests shorten the wait). */
export interface AgentClientOptions {
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  /** How to connect (default: libuv's pipe handle where Node offers it, else node:net). */
  connect?: ConnectAgent;
}

/**
 * The key of protected profile `profile` as the running daemon's agent serves it, or undefined when
 * there is no agent, its socket is not private to this user, or it does not answer with a key in time.
 */
export async function credentialsFromAgent(
  profile: string,
  env: NodeJS.ProcessEnv,
  options: AgentClientOptions = {},
): Promise<ProcessCredentials | undefined> {
  const platform = options.platform ?? process.platform;
  const socketPath = agentSocketPath(env, platform);
  // No socket there (no daemon runs): nothing to connect with is even loaded.
  if (!socketPath || !socketPathFits(socketPath, platform) || !existsSync(socketPath)) return undefined;
  // Absolute here: the daemon runs in another directory than this process.
  const configFile = resolve(resolveAwsFilePaths(env).configFile);
  const request = agentLine({ v: 1, profile, configFile, service: keychainService(env) });
  const connect = options.connect ?? pipeHandleConnector() ?? (await netConnector());
  const timeoutMs = options.timeoutMs ?? AGENT_REPLY_TIMEOUT_MS;
  const reply = await traceSpan('agent exchange (connect, request, the daemon reads, reply)', () =>
    exchange(connect, socketPath, request, timeoutMs, () => isOwnSocket(socketPath)),
  );
  return reply === undefined ? undefined : keyInAgentReply(reply);
}

/**
 * Whether `socketPath` is a socket of this user in a directory only this user can write: else another
 * user could stand in for the daemon and hand the AWS tools a key of theirs.
 */
function isOwnSocket(socketPath: string): boolean {
  try {
    if (privateDirProblemSync(dirname(socketPath), lstatSync)) return false;
    const socket = lstatSync(socketPath);
    return socket.isSocket() && socket.uid === process.getuid?.();
  } catch {
    return false;
  }
}

/**
 * Sends `request` and resolves with the first line of the answer (without its newline), or undefined.
 * `trusted` is asked once the request is on its way, while the daemon reads the keychain (the request
 * holds no secret): an answer counts only when it says yes, and a no closes the connection at once.
 * Once the line is in, the connection is closed on the next turn of the event loop: a caller that
 * exits first (the bin, once it has written the key) does not wait for that.
 */
function exchange(
  connect: ConnectAgent,
  socketPath: string,
  request: string,
  timeoutMs: number,
  trusted: () => boolean,
): Promise<string | undefined> {
  return new Promise((resolveReply) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let trust = false;
    let settled = false;
    let connection: AgentConnection | undefined;
    const done = (line?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (line === undefined) connection?.destroy();
      else setImmediate(() => connection?.destroy());
      resolveReply(line);
    };
    const timer = setTimeout(() => done(), timeoutMs);
    connection = connect(socketPath, request, {
      connected() {
        trust = trusted();
        if (!trust) done();
      },
      data(chunk) {
        const newline = chunk.indexOf(0x0a);
        chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
        size += chunk.length;
        if (newline !== -1) done(trust ? Buffer.concat(chunks).toString('utf8') : undefined);
        else if (size >= MAX_LINE_BYTES) done();
      },
      closed: () => done(),
    });
  });
}
