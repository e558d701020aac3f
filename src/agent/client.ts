// The agent's client, which `keyrot credentials --profile P` asks first (docs/agent.md): the running
// daemon already holds an open keychain, so asking it over its socket is much faster than starting a
// D-Bus session here. Small on purpose (src/cli.ts loads it on its fastest path): node:net and a few
// pure helpers. Any doubt or failure answers undefined, and the caller reads the keychain itself.
import { lstatSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { keyrotPaths } from '../config/paths.js';
import { resolveAwsFilePaths } from '../credentials/paths.js';
import type { ProcessCredentials } from '../credentials/process-output.js';
import { privateDirProblem } from '../fs/private-dir.js';
import { keychainService } from '../keychain/os-backend.js';
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
  const socketPath = keyrotPaths(env, platform).agentSocket;
  if (!socketPath || !socketPathFits(socketPath, platform) || !(await isOwnSocket(socketPath))) {
    return undefined;
  }
  // Absolute here: the daemon runs in another directory than this process.
  const configFile = path.resolve(resolveAwsFilePaths(env).configFile);
  const request = agentLine({ v: 1, profile, configFile, service: keychainService(env) });
  const reply = await exchange(socketPath, request, options.timeoutMs ?? AGENT_REPLY_TIMEOUT_MS);
  return reply === undefined ? undefined : keyInAgentReply(reply);
}

/**
 * Whether `socketPath` is a socket of this user in a directory only this user can write: else another
 * user could stand in for the daemon and hand the AWS tools a key of theirs.
 */
async function isOwnSocket(socketPath: string): Promise<boolean> {
  try {
    const fs = { lstat: async (file: string) => lstatSync(file) };
    if (await privateDirProblem(path.dirname(socketPath), { fs })) return false;
    const socket = lstatSync(socketPath);
    return socket.isSocket() && socket.uid === process.getuid?.();
  } catch {
    return false;
  }
}

/** Sends `request` and resolves with the first line of the answer (without its newline), or undefined. */
function exchange(socketPath: string, request: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (line?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(), timeoutMs);
    socket.on('error', () => done());
    socket.on('end', () => done());
    socket.on('data', (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a);
      chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
      size += chunk.length;
      if (newline !== -1) done(Buffer.concat(chunks).toString('utf8'));
      else if (size >= MAX_LINE_BYTES) done();
    });
    socket.write(request);
  });
}
