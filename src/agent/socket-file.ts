// The agent's socket file (docs/agent.md): before listening, a private directory (0700, this user's)
// and no other file at the path (a socket left by a crash or an earlier boot is removed, never one
// another daemon still serves, nor anything that is not this user's socket); once listening, mode
// 0600; at the end, removed if it is still the one this daemon made.
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { privateDirProblem } from '../fs/private-dir.js';

/** How long a connection to a socket found in place may take before it counts as nobody listening. */
const PROBE_TIMEOUT_MS = 1_000;

/** Why the agent does not serve at a socket path: a problem to fix, or another daemon serving there. */
export type SocketPathRefusal = { problem: string } | { servedBy: 'another daemon' };

/**
 * Makes `socketPath` ready to listen on: undefined when it is, else why the agent must not serve
 * there (the daemon logs it and runs without an agent).
 */
export async function prepareSocketPath(socketPath: string): Promise<SocketPathRefusal | undefined> {
  const dir = path.dirname(socketPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const problem = await privateDirProblem(dir, { fs: { lstat } });
  if (problem) return { problem: `${problem.reason} (${problem.fix})` };
  const found = await lstat(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!found) return undefined;
  if (!found.isSocket() || found.uid !== process.getuid?.()) {
    return { problem: `${socketPath} is not a socket of this user's; remove it` };
  }
  if (await someoneListens(socketPath)) return { servedBy: 'another daemon' };
  await unlink(socketPath);
  return undefined;
}

/** The identity of the socket file just made, for removeSocketFile. */
export interface SocketFile {
  path: string;
  dev: number;
  ino: number;
}

/** Restricts the socket just bound to this user (0600) and returns its identity. */
export async function ownSocketFile(socketPath: string): Promise<SocketFile> {
  await chmod(socketPath, 0o600);
  const { dev, ino } = await lstat(socketPath);
  return { path: socketPath, dev, ino };
}

/** Removes the socket file, unless something else has taken its place. */
export async function removeSocketFile(file: SocketFile): Promise<void> {
  const found = await lstat(file.path).catch(() => undefined);
  if (found?.dev === file.dev && found.ino === file.ino) await unlink(file.path).catch(() => undefined);
}

/** Whether a process accepts connections on `socketPath`. */
function someoneListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (listening: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(listening);
    };
    // A server that accepts but is too busy to answer still counts: it is there.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
