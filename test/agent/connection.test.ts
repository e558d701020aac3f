// The agent client's two ways to connect (libuv's pipe handle where Node offers it, node:net), each
// over real Unix sockets in private temp dirs: the same exchanges, the same failures.
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsFromAgent } from '../../src/agent/client.js';
import { type ConnectAgent, netConnector } from '../../src/agent/connection.js';
import { pipeHandleConnector } from '../../src/agent/pipe-handle.js';
import { tempDir } from '../support/cleanup.js';
import { staleSocket } from './sockets.js';

const KEY = { accessKeyId: 'AKIACONNCONNCONNCONN', secretAccessKey: 'connection-secret/0123456789abcdefgh' };
const SERVICE = 'keyrot-connection-test';
const PIPE_HANDLE_MODULE = fileURLToPath(new URL('../../dist/agent/pipe-handle.js', import.meta.url));

const servers: Server[] = [];
const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
});

/** A private state dir, the client's environment, and a plain server at its socket that `answer`s each request line. */
async function server(answer: (request: string, socket: Socket) => void) {
  const stateDir = path.join(await tempDir('agent-connection'), 'state');
  await mkdir(stateDir, { mode: 0o700 });
  const socketPath = path.join(stateDir, 'agent.sock');
  const requests: string[] = [];
  const plain = createServer((socket) => {
    held.push(socket);
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) {
        requests.push(text);
        answer(text, socket);
      }
    });
  });
  servers.push(plain);
  await new Promise<void>((done) => plain.listen(socketPath, done));
  const env: NodeJS.ProcessEnv = {
    HOME: path.dirname(stateDir),
    KEYROT_STATE_DIR: stateDir,
    KEYROT_KEYCHAIN_SERVICE: SERVICE,
    AWS_CONFIG_FILE: '/c/config',
  };
  return { env, socketPath, requests };
}

const reply = `${JSON.stringify({ v: 1, ok: true, ...KEY })}\n`;

describe('the pipe handle', () => {
  it('is offered on the Node versions keyrot runs on', () => {
    expect(pipeHandleConnector()).toBeTypeOf('function');
  });

  it('is not used where process.binding would print a deprecation warning, nor where it is refused', () => {
    const script = `import(${JSON.stringify(PIPE_HANDLE_MODULE)}).then((m) => console.log(m.pipeHandleConnector() === undefined))`;
    for (const flags of [['--pending-deprecation'], ['--throw-deprecation', '--pending-deprecation']]) {
      const run = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
      expect({ out: run.stdout, err: run.stderr }).toEqual({ out: 'true\n', err: '' });
    }
    const env = { ...process.env, NODE_PENDING_DEPRECATION: '1' };
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
    expect({ out: run.stdout, err: run.stderr }).toEqual({ out: 'true\n', err: '' });
  });
});

describe.each<[string, () => Promise<ConnectAgent>]>([
  ['the pipe handle', async () => pipeHandleConnector()!],
  ['node:net', netConnector],
])('the agent client over %s', (_name, connector) => {
  it('sends one request line and takes the reply, also when it comes in pieces', async () => {
    const connect = await connector();
    const { env, requests } = await server((_request, socket) => {
      socket.write(reply.slice(0, 10));
      setTimeout(() => socket.end(reply.slice(10)), 20);
    });
    expect(await credentialsFromAgent('p', env, { connect })).toEqual(KEY);
    expect(requests.map((line) => JSON.parse(line))).toEqual([
      { v: 1, profile: 'p', configFile: '/c/config', service: SERVICE },
    ]);
  });

  it('gives up on a server that closes without a line, answers garbage or too much, or never answers', async () => {
    const connect = await connector();
    let mode = 'close';
    const { env } = await server((_request, socket) => {
      if (mode === 'close') socket.end();
      else if (mode === 'garbage') socket.end('not json\n');
      else if (mode === 'flood') socket.write(Buffer.alloc(64 * 1024, 'x'));
    });
    expect(await credentialsFromAgent('p', env, { connect })).toBeUndefined();
    mode = 'garbage';
    expect(await credentialsFromAgent('p', env, { connect })).toBeUndefined();
    mode = 'flood';
    expect(await credentialsFromAgent('p', env, { connect, timeoutMs: 5_000 })).toBeUndefined();
    mode = 'silent';
    const started = Date.now();
    expect(await credentialsFromAgent('p', env, { connect, timeoutMs: 300 })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('gives up at once on a socket nobody listens on', async () => {
    const connect = await connector();
    const { env, socketPath } = await server(() => undefined);
    await new Promise((done) => servers.splice(0)[0]!.close(done));
    await staleSocket(socketPath);
    const started = Date.now();
    expect(await credentialsFromAgent('p', env, { connect, timeoutMs: 10_000 })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
