// What the agent's suites do to its socket from outside: raw bytes sent, and a socket file left behind.
import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { connect } from 'node:net';
import { expect } from 'vitest';
import { stopAtFileEnd } from '../support/cleanup.js';

/** Sends raw bytes to a socket and resolves with what came back before the connection closed. */
export function rawExchange(socketPath: string, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let out = '';
    socket.on('data', (chunk) => (out += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(out));
    socket.write(bytes);
  });
}

/** Leaves a socket file nobody listens on at `socketPath`: its server process is killed (as in a crash). */
export async function staleSocket(socketPath: string): Promise<void> {
  const child = stopAtFileEnd(
    spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ]),
  );
  await new Promise((up) => child.stdout.once('data', up));
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGKILL');
  await exited;
  expect((await lstat(socketPath)).isSocket()).toBe(true);
}
