// The agent's client and server over real Unix sockets in private temp dirs; the keychain read the
// server serves is a function the test hands it (fault injection: a hung, failing or empty keychain).
// The real daemon, keychain and AWS CLI are in agent.e2e.test.ts.
import { chmod, lstat, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsFromAgent } from '../../src/agent/client.js';
import { idleClosingLookup } from '../../src/agent/idle-reader.js';
import {
  keyInAgentReply,
  MAX_LINE_BYTES,
  parseAgentRequest,
  socketPathFits,
} from '../../src/agent/protocol.js';
import { type AgentServer, listenAgent, type ProtectedKeyLookup } from '../../src/agent/server.js';
import { ownSocketFile, prepareSocketPath, removeSocketFile } from '../../src/agent/socket-file.js';
import type { LogFields } from '../../src/log/logger.js';
import { tempDir } from '../support/cleanup.js';
import { rawExchange, staleSocket } from './sockets.js';

const KEY = { accessKeyId: 'AKIAAGENTAGENTAGENT1', secretAccessKey: 'agent-secret/0123456789abcdefghijkl' };
const SERVICE = 'keyrot-agent-test';

/** A logger that keeps its lines. */
function recordingLogger() {
  const lines: string[] = [];
  const add = (message: string, fields?: LogFields) =>
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { error: add, warn: add, info: add, debug: add } };
}

const servers: AgentServer[] = [];
const plainServers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const server of plainServers.splice(0)) await new Promise((done) => server.close(done));
});

/** A state dir of its own (the socket goes there under KEYROT_STATE_DIR) and the client's environment. */
async function place() {
  const stateDir = path.join(await tempDir('agent'), 'state');
  await mkdir(stateDir, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    HOME: path.dirname(stateDir),
    KEYROT_STATE_DIR: stateDir,
    KEYROT_KEYCHAIN_SERVICE: SERVICE,
    AWS_CONFIG_FILE: 'relative/config',
  };
  return { stateDir, env, socketPath: path.join(stateDir, 'agent.sock') };
}

/** A prepared, listening agent at `socketPath` serving `lookup`. */
async function serve(socketPath: string, lookup: ProtectedKeyLookup, requestTimeoutMs?: number) {
  const { lines, logger } = recordingLogger();
  expect(await prepareSocketPath(socketPath)).toBeUndefined();
  const server = await listenAgent({ socketPath, service: SERVICE, lookup, logger, requestTimeoutMs });
  servers.push(server);
  const file = await ownSocketFile(socketPath);
  return { lines, server, file };
}

describe('agent protocol', () => {
  it('reads only well-formed lines of its version', () => {
    const request = { v: 1, profile: 'p', configFile: '/c', service: 's' };
    expect(parseAgentRequest(JSON.stringify(request))).toEqual(request);
    expect(parseAgentRequest(JSON.stringify({ ...request, v: 2 }))).toBeUndefined();
    expect(parseAgentRequest(JSON.stringify({ ...request, profile: '' }))).toBeUndefined();
    expect(parseAgentRequest('not json')).toBeUndefined();
    expect(parseAgentRequest('[1]')).toBeUndefined();
    expect(keyInAgentReply(JSON.stringify({ v: 1, ok: true, ...KEY }))).toEqual(KEY);
    expect(keyInAgentReply(JSON.stringify({ v: 1, ok: false }))).toBeUndefined();
    expect(keyInAgentReply(JSON.stringify({ v: 1, ok: true, accessKeyId: 'A' }))).toBeUndefined();
  });

  it('knows the socket address limits of Linux and macOS', () => {
    expect(socketPathFits(`/${'a'.repeat(106)}`, 'linux')).toBe(true);
    expect(socketPathFits(`/${'a'.repeat(107)}`, 'linux')).toBe(false);
    expect(socketPathFits(`/${'a'.repeat(102)}`, 'darwin')).toBe(true);
    expect(socketPathFits(`/${'a'.repeat(103)}`, 'darwin')).toBe(false);
  });
});

describe('agent client and server', () => {
  it('serves the key read at each request, for the absolute config file the client resolves, and logs no key', async () => {
    const { env, socketPath } = await place();
    let current = KEY;
    const asked: string[] = [];
    const { lines } = await serve(socketPath, async (profile, configFile) => {
      asked.push(`${profile} ${configFile}`);
      return current;
    });
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
    expect(await credentialsFromAgent('p', env)).toEqual(KEY);
    // A rotation in between: the next request gets the new key (nothing is kept by the server).
    current = { accessKeyId: 'AKIANEWNEWNEWNEWNEW1', secretAccessKey: 'rotated-secret' };
    expect(await credentialsFromAgent('p', env)).toEqual(current);
    expect(asked).toEqual([`p ${path.resolve('relative/config')}`, `p ${path.resolve('relative/config')}`]);
    expect(lines.join('\n')).toContain('served credentials for profile');
    expect(lines.join('\n')).not.toContain(KEY.secretAccessKey);
    expect(lines.join('\n')).not.toContain(KEY.accessKeyId);
  });

  it('refuses another keychain service, a profile without an entry and a failing keychain, without an error text', async () => {
    const { env, socketPath } = await place();
    const { lines } = await serve(socketPath, async (profile) => {
      if (profile === 'missing') return null;
      throw new Error(`keychain exploded holding ${KEY.secretAccessKey}`);
    });
    expect(await credentialsFromAgent('p', { ...env, KEYROT_KEYCHAIN_SERVICE: 'other' })).toBeUndefined();
    expect(await credentialsFromAgent('missing', env)).toBeUndefined();
    expect(await credentialsFromAgent('failing', env)).toBeUndefined();
    const reply = await rawExchange(
      socketPath,
      `${JSON.stringify({ v: 1, profile: 'failing', configFile: '/c', service: SERVICE })}\n`,
    );
    expect(reply).toBe('{"v":1,"ok":false}\n');
    expect(await rawExchange(socketPath, 'garbage\n')).toBe('{"v":1,"ok":false}\n');
    // The log redacts what an error carried.
    expect(lines.join('\n')).not.toContain(KEY.secretAccessKey.slice(0, 30));
  });

  it('drops a client that sends nothing, or more than the limit, and keeps serving the others', async () => {
    const { env, socketPath } = await place();
    await serve(socketPath, async () => KEY, 300);
    const silent = rawExchange(socketPath, '');
    const huge = rawExchange(socketPath, Buffer.alloc(1024 * 1024, 'x'));
    expect(await credentialsFromAgent('p', env)).toEqual(KEY);
    expect(await huge).toBe('');
    expect(await silent).toBe('');
    const many = await Promise.all(Array.from({ length: 20 }, () => credentialsFromAgent('p', env)));
    expect(many).toEqual(Array.from({ length: 20 }, () => KEY));
    expect(MAX_LINE_BYTES).toBeLessThan(1024 * 1024);
  });

  it('the client gives up on a server that accepts and never answers, and on a socket nobody listens on', async () => {
    const { env, socketPath } = await place();
    // Accepts, reads nothing, never answers (its connections are dropped when it closes).
    const held: Socket[] = [];
    const hung = createServer((socket) => held.push(socket));
    plainServers.push(hung);
    await new Promise<void>((done) => hung.listen(socketPath, done));
    const started = Date.now();
    expect(await credentialsFromAgent('p', env, { timeoutMs: 300 })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    for (const socket of held) socket.destroy();
    await new Promise((done) => hung.close(done));
    plainServers.splice(0);
    // A socket file left behind by a killed daemon: connection refused, at once.
    await staleSocket(socketPath);
    const again = Date.now();
    expect(await credentialsFromAgent('p', env, { timeoutMs: 10_000 })).toBeUndefined();
    expect(Date.now() - again).toBeLessThan(5_000);
  });

  it('the client ignores a socket in a directory others may write, or reached through a symlink', async () => {
    const { env, stateDir, socketPath } = await place();
    await serve(socketPath, async () => KEY);
    expect(await credentialsFromAgent('p', env)).toEqual(KEY);
    await chmod(stateDir, 0o770);
    expect(await credentialsFromAgent('p', env)).toBeUndefined();
    await chmod(stateDir, 0o700);
    const link = path.join(path.dirname(stateDir), 'link');
    await symlink(stateDir, link);
    expect(await credentialsFromAgent('p', { ...env, KEYROT_STATE_DIR: link })).toBeUndefined();
    // Not a socket at all.
    const other = path.join(path.dirname(stateDir), 'other');
    await mkdir(other, { mode: 0o700 });
    await writeFile(path.join(other, 'agent.sock'), 'x');
    expect(await credentialsFromAgent('p', { ...env, KEYROT_STATE_DIR: other })).toBeUndefined();
  });

  it('prepares the socket path: removes a stale socket, leaves one that answers and anything else, refuses a shared dir', async () => {
    const { socketPath, stateDir } = await place();
    // A socket nobody listens on any more (the daemon was killed): removed.
    await staleSocket(socketPath);
    expect((await lstat(socketPath)).isSocket()).toBe(true);
    expect(await prepareSocketPath(socketPath)).toBeUndefined();
    await expect(lstat(socketPath)).rejects.toThrow(/ENOENT/);
    // One that answers belongs to another daemon: left alone.
    const { file } = await serve(socketPath, async () => KEY);
    expect(await prepareSocketPath(socketPath)).toEqual({ servedBy: 'another daemon' });
    expect((await lstat(socketPath)).isSocket()).toBe(true);
    await servers.splice(0)[0]!.close();
    await removeSocketFile(file);
    await expect(lstat(socketPath)).rejects.toThrow(/ENOENT/);
    // A plain file is not ours to remove.
    await writeFile(socketPath, 'mine');
    expect(await prepareSocketPath(socketPath)).toMatchObject({
      problem: expect.stringContaining('not a socket'),
    });
    expect((await lstat(socketPath)).isFile()).toBe(true);
    // A directory others may write: refused.
    const shared = path.join(path.dirname(stateDir), 'shared');
    await mkdir(shared, { mode: 0o700 });
    await chmod(shared, 0o777);
    expect(await prepareSocketPath(path.join(shared, 'agent.sock'))).toMatchObject({
      problem: expect.stringContaining('can be written by others'),
    });
    // Created 0700 when missing.
    const fresh = path.join(path.dirname(stateDir), 'run', 'keyrot', 'agent.sock');
    expect(await prepareSocketPath(fresh)).toBeUndefined();
    expect((await stat(path.dirname(fresh))).mode & 0o777).toBe(0o700);
  });
});

describe('idleClosingLookup', () => {
  it('opens the keychain on the first request, reuses it, closes it when idle and after a failed open tries again', async () => {
    let opened = 0;
    let closed = 0;
    let failNext = true;
    const lookup = idleClosingLookup(async () => {
      opened += 1;
      if (failNext) {
        failNext = false;
        throw new Error('no bus');
      }
      return {
        get: async () => KEY,
        close: async () => {
          closed += 1;
        },
      };
    }, 100);
    await expect(lookup.lookup('p', '/c')).rejects.toThrow('no bus');
    expect(await Promise.all([lookup.lookup('p', '/c'), lookup.lookup('q', '/c')])).toEqual([KEY, KEY]);
    expect(opened).toBe(2);
    await new Promise((done) => setTimeout(done, 300));
    expect(closed).toBe(1);
    expect(await lookup.lookup('p', '/c')).toEqual(KEY);
    expect(opened).toBe(3);
    await lookup.close();
    expect(closed).toBe(2);
  });
});
