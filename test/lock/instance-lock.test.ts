import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDaemonLock, daemonLockPath } from '../../src/daemon/instance-lock.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import type { LockHolder } from '../../src/lock/index.js';
import { acquireInstanceLock } from '../../src/lock/instance-lock.js';
import { acquireTrayLock } from '../../src/tray/instance-lock.js';
import { tempDir } from '../support/cleanup.js';

describe('acquireInstanceLock', () => {
  it('creates its directory 0700 and refuses a second holder at once with the given code and words', async () => {
    const dir = join(await tempDir('instance'), 'state');
    const refusal = {
      code: 'LOCKED' as const,
      message: (holder: LockHolder | null) => `another one runs: pid ${holder?.pid}`,
      hint: 'stop it',
    };
    const release = await acquireInstanceLock(join(dir, 'x.lock'), refusal, { purpose: 'keyrot x' });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const error = await acquireInstanceLock(join(dir, 'x.lock'), refusal, { purpose: 'keyrot x' }).catch(
      (e: unknown) => e,
    );
    expect(isKeyrotError(error, 'LOCKED')).toBe(true);
    expect((error as Error).message).toBe(`another one runs: pid ${process.pid}`);
    expect((error as { exitCode: number }).exitCode).toBe(4);
    await release();
    await (await acquireInstanceLock(join(dir, 'x.lock'), refusal, { purpose: 'keyrot x' }))();
  });

  it('keeps the daemon and the tray apart: each has its own lock and its own refusal naming the holder', async () => {
    const stateDir = await tempDir('instance');
    const daemon = await acquireDaemonLock(stateDir);
    const tray = await acquireTrayLock(stateDir);
    const again = await acquireDaemonLock(stateDir).catch((e: unknown) => e);
    expect(isKeyrotError(again, 'DAEMON_RUNNING')).toBe(true);
    expect((again as Error).message).toContain(
      `another keyrot daemon is already running for this user: keyrot daemon (pid ${process.pid}, since `,
    );
    const second = await acquireTrayLock(stateDir).catch((e: unknown) => e);
    expect((second as Error).message).toContain(
      `another keyrot tray is already running for this user: keyrot tray (pid ${process.pid}, since `,
    );
    await daemon();
    await tray();
  });

  it('a daemon standing by is told who holds the lock once, then takes it when that one lets go', async () => {
    const stateDir = await tempDir('instance');
    const first = await acquireDaemonLock(stateDir);
    const told: (LockHolder | null)[] = [];
    let taken = false;
    const standing = acquireDaemonLock(stateDir, (holder) => told.push(holder)).then((release) => {
      taken = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(taken).toBe(false);
    expect(told).toEqual([expect.objectContaining({ pid: process.pid, purpose: 'keyrot daemon' })]);
    await first();
    const release = await standing;
    expect(told).toHaveLength(1);
    await release();
  });

  it('a daemon lock file left behind naming this very process is no obstacle', async () => {
    const stateDir = await tempDir('instance');
    await writeFile(
      daemonLockPath(stateDir),
      JSON.stringify({ pid: process.pid, purpose: 'keyrot daemon', since: '2020-01-01T00:00:00Z' }),
    );
    await (await acquireDaemonLock(stateDir))();
  });
});
