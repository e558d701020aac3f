import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/lock/index.js';

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
      message: expect.stringContaining(`process ${process.pid}`),
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
