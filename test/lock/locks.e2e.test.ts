// keyrot's locks through the built CLI, with real parts (the real SDK over HTTP to the emulator, the real
// Secret Service): lock files left by a crash or an earlier boot never stop `daemon` or `rotate-now`,
// whoever they name (a live unrelated pid, pid 1, the new process's own pid); a lock a live keyrot
// holds is honoured (exit 4 naming the holder) until that process dies, even by SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { editLockPath } from '../../src/credentials/index.js';
import { daemonLockPath } from '../../src/daemon/instance-lock.js';
import { keychainLockPath } from '../../src/keychain/open-keychain.js';
import { namedLockPath } from '../../src/lock/index.js';
import { readStateFile } from '../../src/state/state-file.js';
import { createDaemonWorld, type DaemonWorld } from '../support/daemon-world.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, type CliResult, runCli, runCommand } from '../support/run-cli.js';
import { leakedSecrets } from '../support/world.js';

const describeReal = describeWith('secretService', 'notifications', 'dbusMonitor');

let world: DaemonWorld | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await world?.close();
  world = undefined;
});

/** Every lock file a check or a rotation of profile `dev` can take, as a crash would leave them. */
function lockPaths(h: DaemonWorld, keyId: string): string[] {
  const locks = path.join(h.stateDir, 'locks');
  return [
    daemonLockPath(h.stateDir),
    keychainLockPath(h.stateDir),
    editLockPath(h.credentialsFile),
    namedLockPath(locks, 'key', keyId),
    namedLockPath(locks, 'user', h.user.arn),
  ];
}

const leftOver = (pid: number | '%d') =>
  `{"pid":${pid},"purpose":"keyrot daemon","since":"2020-01-01T00:00:00.000Z"}`;

/**
 * Runs the CLI after leaving every lock file behind naming `who`: a pid, or 'self' for the CLI process's
 * own pid (the shell writes $$, then execs node, which keeps that pid).
 */
async function runWithLeftOvers(h: DaemonWorld, who: number | 'self', args: string[]): Promise<CliResult> {
  const files = lockPaths(h, (await h.currentKey('dev')).accessKeyId);
  await mkdir(path.join(h.stateDir, 'locks'), { recursive: true, mode: 0o700 });
  // Writes each file naming the shell's own pid ($$), then execs node in its place: same pid.
  const script = `while [ "$1" != -- ]; do printf '${leftOver('%d')}' $$ >"$1"; shift; done
shift; exec '${process.execPath}' '${CLI_PATH}' "$@"`;
  if (who !== 'self') {
    for (const file of files) await writeFile(file, leftOver(who), { mode: 0o600 });
    return runCli(args, { env: h.env, timeoutMs: 120_000 });
  }
  return runCommand('sh', ['-c', script, 'sh', ...files, '--', ...args], { env: h.env, timeoutMs: 120_000 });
}

/** A process that lives until the test ends: a live pid that has nothing to do with keyrot. */
function liveUnrelatedPid(): number {
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(sleeper);
  return sleeper.pid as number;
}

describeReal(
  'lock files left behind, and locks held by a live keyrot (built CLI, emulator, Secret Service)',
  () => {
    it('`daemon --once` checks and rotates whoever the left-over lock files name', async () => {
      world = await createDaemonWorld({ keyAgeDays: 100 });
      const old = await world.currentKey('dev');
      for (const who of [liveUnrelatedPid(), 1, 'self'] as const) {
        const result = await runWithLeftOvers(world, who, ['daemon', '--once']);
        expect(result.code, `left-overs naming ${who}: ${result.stderr}`).toBe(0);
        const state = await readStateFile(world.stateDir);
        expect(state?.lastCheck, `left-overs naming ${who}`).toBeTruthy();
      }
      expect((await world.currentKey('dev')).accessKeyId).not.toBe(old.accessKeyId);
      expect(world.emulator.admin.keys('alice').filter((k) => k.status === 'Active')).toHaveLength(1);
    }, 240_000);

    it('`rotate-now` rotates whoever the left-over lock files name', async () => {
      world = await createDaemonWorld({ keyAgeDays: 100 });
      for (const who of [liveUnrelatedPid(), 1, 'self'] as const) {
        const before = await world.currentKey('dev');
        const result = await runWithLeftOvers(world, who, ['rotate-now', '--profile', 'dev', '--force']);
        expect(result.code, `left-overs naming ${who}: ${result.stderr}`).toBe(0);
        expect((await world.currentKey('dev')).accessKeyId, `left-overs naming ${who}`).not.toBe(
          before.accessKeyId,
        );
      }
      expect(world.emulator.admin.keys('alice').length).toBeLessThanOrEqual(2);
    }, 240_000);

    it('a live rotate-now holds the lock: a second one exits 4 naming it; after its SIGKILL the next runs at once', async () => {
      world = await createDaemonWorld({ keyAgeDays: 100 });
      const old = await world.currentKey('dev');
      // The first rotation hangs at its first AWS call, holding the lock, before changing anything.
      world.emulator.admin.setLatencyMs(60_000);
      const first = spawn(process.execPath, [CLI_PATH, 'rotate-now', '--profile', 'dev', '--force'], {
        env: { ...world.env, KEYROT_AWS_TIMEOUT_MS: '120000' },
        stdio: 'ignore',
      });
      children.push(first);
      const firstClosed = new Promise((resolve) => first.once('close', resolve));
      const emulator = world.emulator;
      const deadline = Date.now() + 60_000;
      while (emulator.admin.requestCount() === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(emulator.admin.requestCount()).toBeGreaterThan(0);

      // A rotation waits a while for the lock (bounded); here two seconds, then exit 4.
      const second = await runCli(['rotate-now', '--profile', 'dev', '--force'], {
        env: { ...world.env, KEYROT_LOCK_WAIT_MS: '2000' },
        timeoutMs: 60_000,
      });
      expect(second.code, second.stderr).toBe(4);
      expect(second.stderr).toContain(`is held by keyrot rotate-now (pid ${first.pid}, since `);
      expect(second.stderr).not.toContain(old.accessKeyId);
      expect(leakedSecrets(second.stderr, world.secrets)).toEqual([]);

      first.kill('SIGKILL');
      await firstClosed;
      emulator.admin.setLatencyMs(0);
      const third = await runCli(['rotate-now', '--profile', 'dev', '--force'], {
        env: world.env,
        timeoutMs: 60_000,
      });
      expect(third.code, third.stderr).toBe(0);
      expect((await world.currentKey('dev')).accessKeyId).not.toBe(old.accessKeyId);
    }, 240_000);

    it('`daemon --standby` (what the service runs) waits while another daemon runs and takes over when it stops', async () => {
      world = await createDaemonWorld({ keyAgeDays: 10 });
      const stateDir = world.stateDir;
      const start = (args: string[]) => {
        const child = spawn(process.execPath, [CLI_PATH, ...args], {
          env: world!.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        return { child, exited, output: () => output };
      };
      const until = async (what: string, condition: () => Promise<boolean> | boolean) => {
        const deadline = Date.now() + 90_000;
        while (!(await condition())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const first = start(['daemon']);
      await until('the first daemon records its check', async () =>
        Boolean((await readStateFile(stateDir).catch(() => null))?.nextCheck),
      );
      const standby = start(['daemon', '--standby']);
      await until('the second daemon says it stands by', () => standby.output().includes('standing by'));
      expect(standby.output()).toContain(`keyrot daemon (pid ${first.child.pid}, since `);
      expect(standby.child.exitCode).toBeNull();
      expect((await readStateFile(stateDir))?.pid).toBe(first.child.pid);

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await until('the standing-by daemon took over', async () => {
        const state = await readStateFile(stateDir).catch(() => null);
        return state?.pid === standby.child.pid && Boolean(state?.nextCheck);
      });
      standby.child.kill('SIGTERM');
      expect(await standby.exited).toBe(0);
    }, 240_000);
  },
);
