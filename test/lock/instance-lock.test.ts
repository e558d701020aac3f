import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDaemonLock } from '../../src/daemon/instance-lock.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { acquireInstanceLock } from '../../src/lock/instance-lock.js';
import { acquireTrayLock } from '../../src/tray/instance-lock.js';

describe('acquireInstanceLock', () => {
  it('creates its directory 0700 and refuses a second holder at once with the given code and words', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'keyrot-instance-')), 'state');
    const refusal = { code: 'LOCKED' as const, message: () => 'another one runs', hint: 'stop it' };
    const release = await acquireInstanceLock(join(dir, 'x.lock'), refusal);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const error = await acquireInstanceLock(join(dir, 'x.lock'), refusal).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'LOCKED')).toBe(true);
    expect((error as Error).message).toBe('another one runs');
    expect((error as { exitCode: number }).exitCode).toBe(4);
    await release();
    await (await acquireInstanceLock(join(dir, 'x.lock'), refusal))();
  });

  it('keeps the daemon and the tray apart: each has its own lock and its own refusal', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'keyrot-instance-'));
    const daemon = await acquireDaemonLock(stateDir);
    const tray = await acquireTrayLock(stateDir);
    expect(isKeyrotError(await acquireDaemonLock(stateDir).catch((e: unknown) => e), 'DAEMON_RUNNING')).toBe(
      true,
    );
    const second = await acquireTrayLock(stateDir).catch((e: unknown) => e);
    expect((second as Error).message).toBe('another keyrot tray is already running for this user');
    await daemon();
    await tray();
  });
});
