import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/lock/index.js';
import { runCommand } from '../support/run-cli.js';

let dir: string;
let lock: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyrot-lock-'));
  lock = join(dir, 'x.lock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const foreignLock = (pid: number, host = hostname()) =>
  JSON.stringify({ pid, hostname: host, createdAt: new Date().toISOString(), token: 'someone-else' });

describe('acquireLock', () => {
  it('creates a 0600 lock file naming this process and removes it on release', async () => {
    const release = await acquireLock(lock);
    const owner = JSON.parse(await readFile(lock, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, hostname: hostname() });
    await release();
    await release(); // twice is harmless
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails fast with LOCKED (exit 4) naming the holder when held and wait is false', async () => {
    const release = await acquireLock(lock);
    await expect(acquireLock(lock, { wait: false })).rejects.toMatchObject({
      code: 'LOCKED',
      exitCode: 4,
      message: expect.stringContaining(`(pid ${process.pid} `),
    });
    await release();
  });

  it('waits for the holder when asked, and gives up with LOCKED after timeoutMs', async () => {
    const release = await acquireLock(lock);
    const started = Date.now();
    await expect(acquireLock(lock, { wait: true, timeoutMs: 150, pollMs: 10 })).rejects.toMatchObject({
      code: 'LOCKED',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const waiting = acquireLock(lock, { wait: true, timeoutMs: 5_000, pollMs: 10 });
    setTimeout(() => void release(), 50);
    const second = await waiting;
    await second();
  });

  it('serialises many concurrent acquirers: never two holders at once', async () => {
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

  it('breaks a lock whose owner process is dead on this host', async () => {
    await writeFile(lock, foreignLock(2 ** 22 + 12345));
    const release = await acquireLock(lock, { isAlive: () => false });
    expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(process.pid);
    await release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps a live owner’s lock, and a lock from another host until it is older than staleMs', async () => {
    await writeFile(lock, foreignLock(process.ppid));
    await expect(acquireLock(lock)).rejects.toMatchObject({ code: 'LOCKED' });
    await writeFile(lock, foreignLock(1, 'other-host'));
    await expect(acquireLock(lock, { staleMs: 60_000 })).rejects.toMatchObject({ code: 'LOCKED' });
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const release = await acquireLock(lock, { staleMs: 60_000 });
    await release();
  });

  it('treats an unreadable (half-written) lock as held while young and stale after a few seconds', async () => {
    await writeFile(lock, '');
    await expect(acquireLock(lock)).rejects.toMatchObject({ code: 'LOCKED' });
    const old = new Date(Date.now() - 10_000);
    await utimes(lock, old, old);
    const release = await acquireLock(lock);
    await release();
  });

  it('release never removes a lock that another process took over', async () => {
    const release = await acquireLock(lock);
    await writeFile(lock, foreignLock(process.ppid));
    await release();
    expect(JSON.parse(await readFile(lock, 'utf8')).token).toBe('someone-else');
  });
});

// Real processes on the built module (npm test builds dist/ first).
const DIST_LOCK = join(import.meta.dirname, '..', '..', 'dist', 'lock', 'index.js');
const runNode = (script: string, args: string[]) =>
  runCommand(process.execPath, ['--input-type=module', '-e', script, '--', ...args]);

describe.runIf(existsSync(DIST_LOCK))('acquireLock across processes', () => {
  it('admits one process at a time (no interleaved enter/exit in a shared log)', async () => {
    const log = join(dir, 'log');
    const worker = `
      import { appendFileSync } from 'node:fs';
      const { acquireLock } = await import(${JSON.stringify(DIST_LOCK)});
      const [lock, log] = process.argv.slice(1);
      for (let i = 0; i < 15; i++) {
        const release = await acquireLock(lock, { wait: true, pollMs: 5 });
        appendFileSync(log, 'enter ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 3));
        appendFileSync(log, 'exit ' + process.pid + '\\n');
        await release();
      }`;
    const results = await Promise.all([1, 2, 3, 4].map(() => runNode(worker, [lock, log])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(4 * 15 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]?.startsWith('enter ')).toBe(true);
      expect(lines[i + 1]).toBe(`exit ${lines[i]?.slice(6)}`);
    }
  });

  it('takes over the lock of a process killed with SIGKILL while holding it', async () => {
    const holder = `
      const { acquireLock } = await import(${JSON.stringify(DIST_LOCK)});
      await acquireLock(process.argv[1]);
      process.stdout.write('held\\n');
      setTimeout(() => process.exit(0), 60_000); // never outlive a failed test`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder, '--', lock], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await expect(acquireLock(lock)).rejects.toMatchObject({ code: 'LOCKED' });
    child.kill('SIGKILL'); // the holder dies without releasing
    await new Promise((resolve) => child.once('close', resolve));
    const release = await acquireLock(lock);
    expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(process.pid);
    await release();
  });
});
