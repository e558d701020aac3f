// `keyrot daemon` end to end with real parts: the built CLI, the real AWS SDK over HTTP to the
// emulator, the real Secret Service (journal, backups), real notifications through dunst watched with
// dbus-monitor, and real signals.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { maskKeyId } from '../../src/errors/redact.js';
import { readStateFile } from '../../src/state/state-file.js';
import { stopAtFileEnd } from '../support/cleanup.js';
import { createDaemonWorld, type DaemonWorld } from '../support/daemon-world.js';
import { monitorNotifications, type NotifyMonitor } from '../support/notify-monitor.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';
import { leakedSecrets } from '../support/world.js';

const describeReal = describeWith('secretService', 'notifications', 'dbusMonitor');

/** A long-running `keyrot daemon` child. */
function startDaemon(env: NodeJS.ProcessEnv) {
  // Stopped when the file ends at the latest: a test that fails before its SIGTERM leaves no daemon running.
  const child = stopAtFileEnd(
    spawn(process.execPath, [CLI_PATH, 'daemon'], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

/** Polls `condition` until it holds; generous by default (real processes on a possibly loaded machine). */
async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeReal('keyrot daemon (real SDK, emulator, Secret Service, dunst)', () => {
  let world: DaemonWorld | undefined;
  let monitor: NotifyMonitor | undefined;
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    await world?.close();
    world = undefined;
  });

  it('--once rotates a due key, notifies over D-Bus without a secret, and keeps secrets out of logs and state', async () => {
    world = await createDaemonWorld({ keyAgeDays: 100 });
    const old = await world.currentKey('dev');
    monitor = await monitorNotifications();

    const run = await runCli(['daemon', '--once'], { env: world.env });
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.code).toBe(0);

    const now = await world.currentKey('dev');
    expect(now.accessKeyId).not.toBe(old.accessKeyId);
    const keys = world.emulator.admin.keys('alice');
    expect(keys.find((k) => k.accessKeyId === now.accessKeyId)?.status).toBe('Active');
    expect(keys.find((k) => k.accessKeyId === old.accessKeyId)?.status).toBe('Inactive');

    const body = `Rotated key for profile dev (${maskKeyId(old.accessKeyId)} → ${maskKeyId(now.accessKeyId)}); old key deactivated`;
    await monitor.waitFor(body);
    expect(monitor.text()).toContain('string "keyrot: rotated dev"');

    const state = await readStateFile(world.stateDir);
    expect(state?.profiles.dev).toMatchObject({ keyId: maskKeyId(now.accessKeyId), ageDays: 0 });
    expect(state?.profiles.dev?.lastResult?.outcome).toBe('rotated');
    expect(state?.lastCheck).not.toBeNull();

    const log = await readFile(world.logFile, 'utf8');
    expect(log).toContain('rotated');
    const everything = [
      monitor.text(),
      log,
      run.stdout,
      run.stderr,
      await readFile(`${world.stateDir}/state.json`, 'utf8'),
    ].join('\n');
    expect(leakedSecrets(everything, world.secrets)).toEqual([]);
    expect(everything).not.toContain(now.accessKeyId);
  });

  it('a rotation failing half-way logs no secret, stays quiet about a first AWS error, and the next check finishes it', async () => {
    world = await createDaemonWorld({ keyAgeDays: 120 });
    const old = await world.currentKey('dev');
    // The new key is created, proven and written, but retiring the old one keeps failing.
    world.emulator.admin.addFault('UpdateAccessKey:500:always');
    monitor = await monitorNotifications();
    const env = { ...world.env, KEYROT_PROPAGATION_TIMEOUT_MS: '1500' };
    const failed = await runCli(['daemon', '--once'], { env });
    expect(failed.code).toBe(1);
    const written = await world.currentKey('dev'); // records the new secret for the leak check
    const state = await readStateFile(world.stateDir);
    expect(state?.profiles.dev?.lastResult?.outcome).toBe('failed');

    world.emulator.admin.clearFaults();
    const resumed = await runCli(['daemon', '--once'], { env });
    expect(resumed.code).toBe(0);
    const finished = await world.currentKey('dev');
    expect(finished.accessKeyId).not.toBe(old.accessKeyId);
    expect(
      world.emulator.admin.keys('alice').find((k) => k.accessKeyId === old.accessKeyId)?.status,
    ).not.toBe('Active');
    void written;
    const log = await readFile(world.logFile, 'utf8');
    expect(log.split('\n').length).toBeGreaterThan(2);
    const everything = [
      log,
      monitor.text(),
      failed.stderr,
      failed.stdout,
      resumed.stderr,
      resumed.stdout,
    ].join('\n');
    expect(leakedSecrets(everything, world.secrets)).toEqual([]);
    expect(world.secrets.size).toBeGreaterThanOrEqual(2);
    // A single AWS hiccup is retried with backoff, not announced.
    expect(monitor.text()).not.toContain('keyrot: dev not rotated');
  });

  it('a refusal (another active key) exits 3 and is notified once, with the key masked and no secret', async () => {
    world = await createDaemonWorld({ keyAgeDays: 100, secondKey: 'active' });
    const other = world.user.keys[1]!;
    monitor = await monitorNotifications();
    const refused = await runCli(['daemon', '--once'], { env: world.env });
    expect(refused.code).toBe(3);
    await monitor.waitFor('string "keyrot: dev not rotated"');
    expect(monitor.text()).toContain('Rotation for profile dev failed: ');
    expect(monitor.text()).toContain(maskKeyId(other.accessKeyId));
    const again = await runCli(['daemon', '--once'], { env: world.env });
    expect(again.code).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(monitor.text().split('keyrot: dev not rotated').length - 1).toBe(1);
    const log = await readFile(world.logFile, 'utf8');
    const everything = [log, monitor.text(), refused.stderr, again.stderr].join('\n');
    expect(leakedSecrets(everything, world.secrets)).toEqual([]);
    expect(everything).not.toContain(other.accessKeyId);
  });

  it('MFA required: exits 5 and asks the person, once across runs, to run rotate-now', async () => {
    world = await createDaemonWorld({ keyAgeDays: 100, mfa: true });
    const old = await world.currentKey('dev');
    monitor = await monitorNotifications();
    const first = await runCli(['daemon', '--once'], { env: world.env });
    expect(first.code).toBe(5);
    await monitor.waitFor('keyrot needs you: enter your MFA code with `keyrot rotate-now --profile dev`');
    const second = await runCli(['daemon', '--once'], { env: world.env });
    expect(second.code).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(monitor.text().split('enter your MFA code').length - 1).toBe(1);
    const state = await readStateFile(world.stateDir);
    expect(state?.profiles.dev?.lastResult).toMatchObject({ outcome: 'needs-person', code: 'MFA_REQUIRED' });
    expect((await world.currentKey('dev')).accessKeyId).toBe(old.accessKeyId);
    expect(leakedSecrets(monitor.text() + (await readFile(world.logFile, 'utf8')), world.secrets)).toEqual(
      [],
    );
  });

  it('a locked keychain (no Secret Service reachable): exits 5 and records that the person is needed', async () => {
    world = await createDaemonWorld({ keyAgeDays: 100 });
    const env = { ...world.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: undefined };
    const run = await runCli(['daemon', '--once'], { env });
    expect(run.code).toBe(5);
    const state = await readStateFile(world.stateDir);
    expect(state?.profiles.dev?.lastResult).toMatchObject({
      outcome: 'needs-person',
      code: 'KEYCHAIN_UNAVAILABLE',
    });
    expect(world.emulator.admin.requestCount('CreateAccessKey')).toBe(0);
  });

  it('one daemon per user: a second one exits 4; SIGTERM stops the first with 0 in under 5 s', async () => {
    world = await createDaemonWorld({ keyAgeDays: 10 });
    const daemon = startDaemon(world.env);
    const stateDir = world.stateDir;
    await waitUntil('the first check is recorded', async () => {
      const state = await readStateFile(stateDir).catch(() => null);
      return Boolean(state?.lastCheck && state.nextCheck);
    });
    const state = await readStateFile(stateDir);
    expect(state?.pid).toBe(daemon.child.pid);
    expect(state?.profiles.dev?.lastResult?.outcome).toBe('not-due');

    const second = await runCli(['daemon'], { env: world.env, timeoutMs: 20_000 });
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(
      `another keyrot daemon is already running for this user: keyrot daemon (pid ${daemon.child.pid}, since `,
    );

    const started = Date.now();
    daemon.child.kill('SIGTERM');
    const exit = await daemon.exited;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect((await readStateFile(stateDir))?.pid).toBeNull();
    // The lock is free again.
    const after = await runCli(['daemon', '--once'], { env: world.env });
    expect(after.code).toBe(0);
  });

  it('rotate-now beside the running daemon; on SIGHUP the daemon re-reads the credentials file and sees the new key', async () => {
    world = await createDaemonWorld({ keyAgeDays: 10 });
    const old = await world.currentKey('dev');
    const daemon = startDaemon(world.env);
    const stateDir = world.stateDir;
    await waitUntil('the first check is recorded', async () =>
      Boolean((await readStateFile(stateDir).catch(() => null))?.nextCheck),
    );
    const manual = await runCli(['rotate-now', '--profile', 'dev', '--force'], { env: world.env });
    expect(manual.code, manual.stderr).toBe(0);
    const now = await world.currentKey('dev');
    expect(now.accessKeyId).not.toBe(old.accessKeyId);
    const checksBefore = world.emulator.admin.requestCount('ListAccessKeys');
    // rotate-now itself records the new key in the state file; the daemon's pass is done when it
    // records its own check (lastCheck changes at the end of a pass), not when IAM sees its request.
    const lastCheckBefore = (await readStateFile(stateDir))?.lastCheck;
    daemon.child.kill('SIGHUP');
    await waitUntil('the daemon checked the new key', async () => {
      const state = await readStateFile(stateDir).catch(() => null);
      return (
        state?.lastCheck !== lastCheckBefore &&
        state?.profiles.dev?.keyId === maskKeyId(now.accessKeyId) &&
        world!.emulator.admin.requestCount('ListAccessKeys') > checksBefore
      );
    });
    const state = await readStateFile(stateDir);
    expect(state?.profiles.dev).toMatchObject({ ageDays: 0 });
    expect(state?.profiles.dev?.lastResult?.outcome).toBe('not-due');
    expect(state?.pid).toBe(daemon.child.pid);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });

  it('rotate-now during a slow check waits, bounded, then exits 4 (one rotation at a time); SIGTERM mid-check still exits 0 in under 5 s', async () => {
    world = await createDaemonWorld({ keyAgeDays: 10 });
    world.emulator.admin.setLatencyMs(30_000);
    const daemon = startDaemon({ ...world.env, KEYROT_AWS_TIMEOUT_MS: '60000' });
    await waitUntil('the check is under way', async () => world!.emulator.admin.requestCount() > 0);
    // The daemon's check holds the key's rotation lock: rotate-now waits for it (here 2 s), then gives up
    // rather than run a second rotation.
    const manual = await runCli(['rotate-now', '--profile', 'dev', '--force'], {
      env: { ...world.env, KEYROT_LOCK_WAIT_MS: '2000' },
    });
    expect(manual.code, manual.stderr).toBe(4);
    // Named by what holds it (the daemon's check worker) and the masked key, never by a secret.
    expect(manual.stderr).toMatch(
      /wait +another rotation of key AKIA…\w{4} is running \(keyrot daemon, pid \d+\)/,
    );
    expect(leakedSecrets(manual.stderr, world.secrets)).toEqual([]);
    const started = Date.now();
    daemon.child.kill('SIGTERM');
    const exit = await daemon.exited;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect((await readStateFile(world.stateDir))?.pid).toBeNull();
  });
});

describe('keyrot daemon settings errors', () => {
  it('an invalid schedule in config.ini exits 2 with a message naming the file, before taking the lock', async () => {
    const world = await createDaemonWorld({ keyAgeDays: 1, configIni: '' });
    try {
      const configFile = `${world.home}/.config/keyrot/config.ini`;
      await writeFile(configFile, 'schedule = 61 * * * *\n[profile dev]\n');
      const run = await runCli(['daemon', '--once'], { env: world.env });
      expect(run.code).toBe(2);
      // A schedule valid as cron but too frequent is refused by the daemon, also naming the file.
      await writeFile(configFile, 'schedule = */5 * * * * *\n[profile dev]\n');
      const frequent = await runCli(['daemon', '--once'], { env: world.env });
      expect(frequent.code).toBe(2);
      expect(frequent.stderr).toContain(`in ${configFile} is invalid: it runs more often than once a minute`);
      // config.ini's own validation (src/config) names the key, the line and the file.
      expect(run.stderr).toMatch(/^keyrot: schedule .*61 \* \* \* \*/);
      expect(run.stderr).toContain(`${configFile}:1`);
      expect(world.emulator.admin.requestCount()).toBe(0);
    } finally {
      await world.close();
    }
  });
});
