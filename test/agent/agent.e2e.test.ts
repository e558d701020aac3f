// The agent end to end: the built CLI, a real `keyrot daemon` process (--jitless, as the service runs
// it), the real Secret Service, Debian's AWS CLI against the emulator. The proof that the agent
// answered: the AWS tools run with a session bus address that leads nowhere, so the direct keychain read
// cannot work there, while the daemon reads the real one.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DAEMON_NODE_OPTIONS } from '../../src/service/spec.js';
import { awsIdentity } from '../commands/harness.js';
import { type PrivateSecretService, startPrivateSecretService } from '../keychain/private-secret-service.js';
import { stopAtFileEnd, stopProcess, tempDir } from '../support/cleanup.js';
import { describeWith, realPartsAvailable } from '../support/real-part.js';
import { CLI_PATH, type CliResult, runCli } from '../support/run-cli.js';
import { createWorld, leakedSecrets, profileBlock, type World } from '../support/world.js';
import { rawExchange, staleSocket } from './sockets.js';

const suite = describeWith('secretService', 'awsCli');
/** A session bus address nothing listens on: a direct keychain read fails with it. */
const NO_BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/keyrot-test-bus' };

/** A world whose profile `p` is protected, its daemon's settings written, with a runtime dir of its own. */
async function protectedWorld(env: NodeJS.ProcessEnv = {}) {
  const runtimeDir = await tempDir('agent-run');
  const w = await createWorld({
    label: 'agent',
    env: { XDG_RUNTIME_DIR: runtimeDir, AWS_REGION: 'us-east-1', ...env },
  });
  w.env.AWS_SHARED_CREDENTIALS_FILE = w.credentialsFile;
  w.env.AWS_CONFIG_FILE = w.configFile;
  const user = await w.seed('agent');
  const key = user.keys[0]!;
  await w.writeCredentials(profileBlock('p', key));
  await w.writeKeyrotConfig('notify = false\nlog_level = debug\n[profile p]\n');
  const protect = await w.run(['protect', '--profile', 'p']);
  expect(protect.code, protect.stderr).toBe(0);
  const socketPath = path.join(runtimeDir, 'keyrot', 'agent.sock');
  return { w, key, user, runtimeDir, socketPath };
}

/** `keyrot credentials` as the AWS tools run it (not through w.run: its stdout is the secret). */
function credentials(w: World, profile: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['credentials', '--profile', profile], { env: { ...w.env, ...env }, timeoutMs: 60_000 });
}

const daemons: ChildProcess[] = [];
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await stopProcess(daemon);
});

/** Starts `keyrot daemon` as the service does; resolves once it serves on `socketPath` (when `serves`). */
async function startDaemon(w: World, socketPath: string, serves = true) {
  const child = stopAtFileEnd(
    spawn(process.execPath, [...DAEMON_NODE_OPTIONS, CLI_PATH, 'daemon'], {
      env: w.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  daemons.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitUntil('the daemon has checked its profile', async () => {
    if (child.exitCode !== null) throw new Error(`the daemon exited ${child.exitCode}: ${stderr}`);
    const log = await readFile(w.logFile, 'utf8').catch(() => '');
    return log.includes('check finished') && (!serves || existsSync(socketPath));
  });
  return { child, stderr: () => stderr };
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many requests the daemon's log says its agent served. */
async function servedCount(w: World): Promise<number> {
  const log = await readFile(w.logFile, 'utf8');
  return log.split('\n').filter((line) => line.includes('agent: served credentials for profile')).length;
}

/** The result without what differs between two runs of one failure: nothing (stdout, stderr, code). */
const outcome = (run: CliResult) => ({ code: run.code, stdout: run.stdout, stderr: run.stderr });

suite('the agent: keyrot credentials served by the running daemon', { concurrent: false }, () => {
  it('serves the AWS CLI through a 0600 socket in a 0700 dir, the new key right after a rotation, no secret logged, the socket gone after stop', async () => {
    const { w, key, user, runtimeDir, socketPath } = await protectedWorld();
    const daemon = await startDaemon(w, socketPath);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
    expect((await lstat(socketPath)).isSocket()).toBe(true);
    expect((await stat(path.join(runtimeDir, 'keyrot'))).mode & 0o777).toBe(0o700);

    // The AWS CLI authenticates although its own keychain read could not reach any bus.
    const before = await servedCount(w);
    const cli = await awsIdentity(w, 'p', NO_BUS);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).Arn).toBe(user.arn);
    expect(await servedCount(w)).toBe(before + 1);
    const printed = await credentials(w, 'p', NO_BUS);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toBe('');
    expect(JSON.parse(printed.stdout)).toEqual({
      Version: 1,
      AccessKeyId: key.accessKeyId,
      SecretAccessKey: key.secretAccessKey,
    });

    // A rotation by another process: the agent serves the new key at once.
    const rotate = await w.run(['rotate-now', '--profile', 'p', '--force']);
    expect(rotate.code, rotate.stderr).toBe(0);
    const after = await credentials(w, 'p', NO_BUS);
    expect(after.code, after.stderr).toBe(0);
    const rotated = JSON.parse(after.stdout) as { AccessKeyId: string; SecretAccessKey: string };
    expect(rotated.AccessKeyId).not.toBe(key.accessKeyId);
    w.secrets.add(rotated.SecretAccessKey);
    const active = w.emulator.admin.keys('agent').filter((k) => k.status === 'Active');
    expect(active.map((k) => k.accessKeyId)).toEqual([rotated.AccessKeyId]);
    const cliAfter = await awsIdentity(w, 'p', NO_BUS);
    expect(cliAfter.code, cliAfter.stderr).toBe(0);

    // Stopped: the socket is gone, and no secret is in its log, its stderr or the state.
    daemon.child.kill('SIGTERM');
    await new Promise((done) => daemon.child.once('exit', done));
    await expect(lstat(socketPath)).rejects.toThrow(/ENOENT/);
    const log = await readFile(w.logFile, 'utf8');
    expect(log).toContain('agent: served credentials for profile');
    expect(leakedSecrets(`${await w.leftovers()}\n${daemon.stderr()}`, w.secrets)).toEqual([]);
    // Without the daemon, the same command reads the keychain itself.
    const direct = await credentials(w, 'p');
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout).AccessKeyId).toBe(rotated.AccessKeyId);
  });

  it('falls back to the keychain with no daemon, a stale socket, or a daemon that never answers', async () => {
    const { w, key, socketPath } = await protectedWorld();
    const expectKey = (run: CliResult) => {
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).AccessKeyId).toBe(key.accessKeyId);
    };
    expectKey(await credentials(w, 'p'));
    // A socket file left by a killed daemon.
    await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    await staleSocket(socketPath);
    expectKey(await credentials(w, 'p'));
    // The daemon that finds it there removes it and serves.
    const daemon = await startDaemon(w, socketPath);
    expectKey(await credentials(w, 'p', NO_BUS));
    await stopProcess(daemon.child);
    // A process that accepts and never answers: the client waits its 3 s, then reads the keychain.
    const held: Socket[] = [];
    const hung = createServer((socket) => held.push(socket));
    await new Promise<void>((done) => hung.listen(socketPath, done));
    try {
      const started = Date.now();
      expectKey(await credentials(w, 'p'));
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
      expect(held.length).toBe(1);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((done) => hung.close(done));
    }
  });

  it('neither side uses a socket directory others may write', async () => {
    const { w, key, runtimeDir, socketPath } = await protectedWorld();
    const dir = path.join(runtimeDir, 'keyrot');
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o770);
    await startDaemon(w, socketPath, false);
    expect(await readFile(w.logFile, 'utf8')).toContain('agent: not serving keyrot credentials');
    expect(existsSync(socketPath)).toBe(false);
    const direct = await credentials(w, 'p');
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout).AccessKeyId).toBe(key.accessKeyId);
    await stopProcess(daemons.pop()!);
    // A daemon serving from a private dir that then becomes writable by others: the client stops using it.
    await chmod(dir, 0o700);
    await startDaemon(w, socketPath);
    expect((await credentials(w, 'p', NO_BUS)).code).toBe(0);
    await chmod(dir, 0o770);
    const ignored = await credentials(w, 'p', NO_BUS);
    expect(ignored.code).not.toBe(0);
    expect(ignored.stderr).toContain('D-Bus');
    await chmod(dir, 0o700);
  });

  it('prints the same error and exit code with the daemon as without: an unprotected profile, another keychain service', async () => {
    const { w, socketPath } = await protectedWorld();
    const without = {
      missing: outcome(await credentials(w, 'nope')),
      otherService: outcome(await credentials(w, 'p', { KEYROT_KEYCHAIN_SERVICE: `${w.keychainService}-x` })),
    };
    expect(without.missing.code).toBe(2);
    expect(without.otherService.code).toBe(2);
    await startDaemon(w, socketPath);
    const served = await servedCount(w);
    expect(outcome(await credentials(w, 'nope'))).toEqual(without.missing);
    expect(outcome(await credentials(w, 'p', { KEYROT_KEYCHAIN_SERVICE: `${w.keychainService}-x` }))).toEqual(
      without.otherService,
    );
    expect(await servedCount(w)).toBe(served);
  });

  it('drops a silent client and a 1 MB one, and serves 20 concurrent keyrot credentials', async () => {
    const { w, key, socketPath } = await protectedWorld();
    await startDaemon(w, socketPath);
    const silent = rawExchange(socketPath, '');
    const huge = rawExchange(socketPath, Buffer.alloc(1024 * 1024, 'x'));
    expect(await huge).toBe('');
    const runs = await Promise.all(Array.from({ length: 20 }, () => credentials(w, 'p', NO_BUS)));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).AccessKeyId).toBe(key.accessKeyId);
    }
    // Dropped after the server's 5 s for a request line.
    expect(await silent).toBe('');
    expect((await credentials(w, 'p', NO_BUS)).code).toBe(0);
    // A reader that closed its end before the key came (the key is written straight to fd 1): exit 0, quietly.
    const closedReader = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = stopAtFileEnd(
        spawn(process.execPath, [CLI_PATH, 'credentials', '--profile', 'p'], {
          env: { ...w.env, ...NO_BUS },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(closedReader).toEqual({ code: 0, stderr: '' });
  });
});

const lockedSuite = describeWith('secretService', 'awsCli', 'dbusTools');

lockedSuite('the agent and a locked keychain', () => {
  let service: PrivateSecretService | undefined;
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await stopProcess(daemon);
    await service?.stop();
  });

  it('the AWS CLI gets the same locked-keyring error with the daemon running as without it', async () => {
    if (!realPartsAvailable('dbusTools')) return;
    service = await startPrivateSecretService();
    const { w, socketPath } = await protectedWorld({
      DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS,
    });
    await startDaemon(w, socketPath);
    expect((await credentials(w, 'p')).code).toBe(0);
    service.send(
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.Lock',
      'array:objpath:/org/freedesktop/secrets/collection/login',
    );
    const withDaemon = outcome(await credentials(w, 'p'));
    expect(withDaemon.code).toBe(5);
    expect(withDaemon.stderr).toContain('locked');
    const cli = await awsIdentity(w, 'p');
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('gnome-keyring-daemon --unlock');
    await stopProcess(daemons.pop()!);
    expect(outcome(await credentials(w, 'p'))).toEqual(withDaemon);
  });
});
