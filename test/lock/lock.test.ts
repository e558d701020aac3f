import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireLock,
  describeLockHolder,
  type LockWait,
  namedLockPath,
  readLockHolder,
} from '../../src/lock/index.js';
import { tempDir } from '../support/cleanup.js';
import { runCommand } from '../support/run-cli.js';

let dir: string;
let lock: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await tempDir('lock');
  lock = join(dir, 'x.lock');
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A process that lives until the test ends: its pid is live and unrelated to keyrot. */
function liveUnrelatedPid(): number {
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(sleeper);
  return sleeper.pid as number;
}

describe('acquireLock', () => {
  it('creates a 0600 lock file naming this process and its purpose, and removes it on release', async () => {
    const release = await acquireLock(lock, { purpose: 'keyrot test' });
    expect((await stat(lock)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({
      pid: process.pid,
      purpose: 'keyrot test',
    });
    expect(await readLockHolder(lock)).toMatchObject({ pid: process.pid, purpose: 'keyrot test' });
    await release();
    await release(); // twice is harmless
    expect(await readdir(dir)).toEqual([]);
    expect(await readLockHolder(lock)).toBeNull();
  });

  it('fails fast with LOCKED (exit 4) naming the holder when held and wait is false', async () => {
    const release = await acquireLock(lock, { purpose: 'keyrot rotate-now' });
    await expect(acquireLock(lock, { wait: false })).rejects.toMatchObject({
      code: 'LOCKED',
      exitCode: 4,
      message: expect.stringContaining(`is held by keyrot rotate-now (pid ${process.pid}, since `),
    });
    await release();
  });

  it('waits with progress ticks, gives up with LOCKED after timeoutMs, and gets a lock freed meanwhile', async () => {
    const release = await acquireLock(lock, { purpose: 'keyrot daemon' });
    const ticks: LockWait[] = [];
    const started = Date.now();
    await expect(
      acquireLock(lock, { wait: true, timeoutMs: 2_300, pollMs: 10, onWait: (tick) => ticks.push(tick) }),
    ).rejects.toMatchObject({ code: 'LOCKED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_300);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toMatchObject({
      holder: { pid: process.pid, purpose: 'keyrot daemon' },
      timeoutMs: 2_300,
    });
    expect(ticks[0]?.waitedMs).toBeGreaterThanOrEqual(1_000);
    const waiting = acquireLock(lock, { wait: true, timeoutMs: 5_000, pollMs: 10 });
    setTimeout(() => void release(), 50);
    await (await waiting)();
  });

  it('serialises many concurrent acquirers in one process: never two holders at once', async () => {
    let holders = 0;
    let maxHolders = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await acquireLock(lock, { wait: true, pollMs: 2 });
        holders += 1;
        maxHolders = Math.max(maxHolders, holders);
        await new Promise((resolve) => setTimeout(resolve, 2));
        holders -= 1;
        await release();
      }),
    );
    expect(maxHolders).toBe(1);
  });

  it('takes at once a lock file left by a dead process, an earlier boot or an older keyrot, whoever it names', async () => {
    const leftOvers = {
      'a live unrelated pid': {
        pid: liveUnrelatedPid(),
        purpose: 'keyrot daemon',
        since: '2020-01-01T00:00:00Z',
      },
      'this very process': { pid: process.pid, purpose: 'keyrot daemon', since: '2020-01-01T00:00:00Z' },
      'pid 1': { pid: 1, purpose: 'keyrot daemon', since: '2020-01-01T00:00:00Z' },
      'an older keyrot (pid and token)': { pid: 1, hostname: 'here', createdAt: '2020', token: 'x' },
    };
    for (const [what, content] of Object.entries(leftOvers)) {
      await writeFile(lock, JSON.stringify(content));
      const release = await acquireLock(lock, { wait: false }).catch((error: unknown) => {
        throw new Error(`a lock file naming ${what} was not taken: ${String(error)}`);
      });
      expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(process.pid);
      await release();
    }
    await writeFile(lock, 'not even json');
    await (await acquireLock(lock))();
  });

  it('release leaves alone a lock file that is no longer its own (deleted by hand and taken by another)', async () => {
    const release = await acquireLock(lock);
    await rm(lock);
    const other = await acquireLock(lock, { purpose: 'keyrot other' });
    await release();
    expect(await readLockHolder(lock)).toMatchObject({ purpose: 'keyrot other' });
    await other();
  });
});

describe('namedLockPath', () => {
  it('names a lock by kind and a hash of the name: no key id or ARN in the file name, one file per name', () => {
    const key = namedLockPath('/state/locks', 'key', 'AKIAIOSFODNN7EXAMPLE');
    expect(key).toMatch(/^\/state\/locks\/key-[0-9a-f]{24}\.lock$/);
    expect(key).not.toContain('AKIA');
    expect(namedLockPath('/state/locks', 'key', 'AKIAIOSFODNN7EXAMPLE')).toBe(key);
    expect(namedLockPath('/state/locks', 'key', 'AKIAIOSFODNN7EXAMPLF')).not.toBe(key);
    expect(namedLockPath('/state/locks', 'user', 'AKIAIOSFODNN7EXAMPLE')).not.toBe(
      key.replace('key-', 'user-'),
    );
    expect(namedLockPath('/s', 'user', 'arn:aws:iam::123456789012:user/a/b')).toMatch(
      /^\/s\/user-[0-9a-f]{24}\.lock$/,
    );
    expect(() => namedLockPath('/s', '../x', 'n')).toThrow();
  });

  it('describes an unnamed holder without inventing one', () => {
    expect(describeLockHolder(null)).toBe('another keyrot process');
  });
});

// Real processes on the built module (npm test builds dist/ first).
const DIST_LOCK = join(import.meta.dirname, '..', '..', 'dist', 'lock', 'index.js');
const runNode = (script: string, args: string[]) =>
  runCommand(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { timeoutMs: 120_000 });

describe.runIf(existsSync(DIST_LOCK))('acquireLock across processes', () => {
  // Each round, while holding the lock, the worker creates a marker file exclusively and removes it: a
  // second holder at the same time finds the marker and counts an overlap.
  const racer = (wait: boolean) => `
      import { openSync, closeSync, unlinkSync } from 'node:fs';
      const { acquireLock } = await import(${JSON.stringify(DIST_LOCK)});
      const [lock, marker, rounds] = process.argv.slice(1);
      let held = 0, overlaps = 0, refused = 0;
      while (held < Number(rounds)) {
        let release;
        try {
          release = await acquireLock(lock, { wait: ${wait}, pollMs: 1 });
        } catch (error) {
          if (error.code !== 'LOCKED') throw error;
          refused++;
          continue;
        }
        try { closeSync(openSync(marker, 'wx')); } catch { overlaps++; await release(); held++; continue; }
        for (let i = 0; i < 200; i++) Math.sqrt(i);
        unlinkSync(marker);
        await release();
        held++;
      }
      console.log(JSON.stringify({ held, overlaps, refused }));`;

  for (const wait of [true, false]) {
    it(`two processes racing for one lock (${wait ? 'waiting' : 'trying again at once'}), 300 rounds each: never both hold it`, async () => {
      const marker = join(dir, 'inside');
      const results = await Promise.all([1, 2].map(() => runNode(racer(wait), [lock, marker, '300'])));
      for (const result of results) {
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ held: 300, overlaps: 0 });
      }
      expect(await readdir(dir)).toEqual([]);
    }, 130_000);
  }

  it('frees the lock of a process killed with SIGKILL at once: no waiting, no age', async () => {
    const holder = `
      const { acquireLock } = await import(${JSON.stringify(DIST_LOCK)});
      await acquireLock(process.argv[1], { purpose: 'keyrot holder' });
      process.stdout.write('held\\n');
      setTimeout(() => process.exit(0), 60_000); // never outlive a failed test`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder, '--', lock], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    await expect(acquireLock(lock)).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining(`keyrot holder (pid ${child.pid}, since`),
    });
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGKILL'); // the holder dies without releasing; its file stays behind, naming it
    await closed;
    expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(child.pid);
    const release = await acquireLock(lock, { wait: false });
    expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(process.pid);
    await release();
  });
});
