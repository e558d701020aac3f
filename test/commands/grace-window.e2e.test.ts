// End to end: old_key_active_hours with the built CLI in a temp HOME, the real Secret Service holding
// the journal (scripts/test-session.sh), the emulator over HTTP, a process using the old key after the
// rotation, and the daemon's pass (in this process, with the real rotation wiring, state file and
// desktop notifications, its clock moved to the deadline) closing the window.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StsApi } from '../../src/aws/clients.js';
import { keyrotPaths } from '../../src/config/paths.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { parseSchedule } from '../../src/daemon/schedule.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { maskKeyId } from '../../src/errors/redact.js';
import { createLogger } from '../../src/log/index.js';
import type { Notification } from '../../src/notify/notifier.js';
import { readStateFile, writeStateFile } from '../../src/state/state-file.js';
import { systemClock } from '../../src/time/clock.js';
import { worldRotationChecker } from '../support/daemon-world.js';
import { monitorNotifications } from '../support/notify-monitor.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock } from '../support/world.js';
import { expectNoSecretLeft } from './harness.js';

const HOUR_MS = 3_600_000;

describeWith(
  'secretService',
  'builtCli',
  'notifications',
  'dbusMonitor',
)('old_key_active_hours end to end', () => {
  let emulator: RunningEmulator;
  // The emulator's clock runs ahead while the old key is used, so that use comes well after the rewrite.
  let emulatorAheadMs = 0;
  beforeAll(async () => {
    const clock = { now: () => new Date(Date.now() + emulatorAheadMs), sleep: systemClock.sleep };
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, clock });
  });
  afterAll(async () => emulator?.close());

  it('keeps the old key active past the rotation, across processes, and the daemon deactivates it at the deadline naming its use', async () => {
    const w = await createWorld({ label: 'grace-e2e', emulator });
    const user = await w.seed('grace-e2e', { keyAgeDays: 120 });
    const old = user.keys[0]!;
    await w.writeCredentials(profileBlock('p', old));
    await w.writeKeyrotConfig('[profile p]\nold_key_active_hours = 2\n');

    const rotated = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const result = (JSON.parse(rotated.stdout) as { profiles: Record<string, unknown>[] }).profiles[0]!;
    expect(result).toMatchObject({
      outcome: 'rotated',
      oldKeyAction: 'kept-active',
      oldKeyWindow: { keyId: maskKeyId(old.accessKeyId), state: 'open' },
    });
    const until = (result.oldKeyWindow as { until: string }).until;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(HOUR_MS + 59 * 60_000);
    expect(emulator.admin.keys(user.user).find((k) => k.accessKeyId === old.accessKeyId)?.status).toBe(
      'Active',
    );

    // Another process (as after a reboot) finds the deadline in the keychain's journal.
    const status = await w.run(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const doc = JSON.parse(status.stdout) as {
      profiles: { profile: string; oldKeyActive: unknown }[];
      pendingRotations: { phase: string; retireAt: string; oldKeyId: string }[];
    };
    expect(doc.pendingRotations).toEqual([
      expect.objectContaining({ phase: 'retiring', retireAt: until, oldKeyId: maskKeyId(old.accessKeyId) }),
    ]);
    expect(doc.profiles.find((p) => p.profile === 'p')?.oldKeyActive).toEqual({
      keyId: maskKeyId(old.accessKeyId),
      until,
      waiting: false,
    });
    const text = await w.run(['status']);
    expect(text.stdout).toContain(
      `old key ${maskKeyId(old.accessKeyId)} still active until ${until.replace('T', ' ').slice(0, 16)} UTC`,
    );

    // A long-running process still signs with the old key.
    emulatorAheadMs = 90_000;
    const sts = new StsApi({ region: 'eu-west-1', iamEndpoint: emulator.url, stsEndpoint: emulator.url });
    try {
      await sts.getCallerIdentity(old);
    } finally {
      emulatorAheadMs = 0;
      sts.destroy();
    }
    const use = emulator.admin.keys(user.user).find((k) => k.accessKeyId === old.accessKeyId)!.lastUsed!;

    // The daemon's pass at the deadline, with the real wiring: keychain, files, SDK, state file, log.
    const clock = { now: () => new Date(Date.now() + 2 * HOUR_MS + 60_000), sleep: systemClock.sleep };
    const paths = keyrotPaths(w.env);
    const logger = createLogger({ logDir: paths.logDir, level: 'info', verbose: false });
    // The daemon's own notifications (rotated, due soon…) are recorded; the rotation's warning goes
    // through the real desktop notifier that createRotationDeps wires, watched on the session bus.
    const shown: Notification[] = [];
    const notifier = { notify: async (n: Notification) => void shown.push(n) };
    const monitor = await monitorNotifications();
    const checker = await worldRotationChecker(w, { logger, clock });
    const daemon = new Daemon({
      profiles: ['p'],
      schedule: parseSchedule('17 * * * *'),
      checkProfile: (profile) => checker.check(profile),
      afterPass: () => checker.afterPass(),
      notifier,
      logger,
      clock,
      timers: { set: () => () => undefined },
      store: {
        load: () => readStateFile(paths.stateDir),
        save: (state) => writeStateFile(paths.stateDir, state),
      },
      pid: process.pid,
    });
    const [pass] = await daemon.runPass('once');
    await logger.close();
    expect(pass?.result.ok, JSON.stringify(pass)).toBe(true);

    expect(emulator.admin.keys(user.user).find((k) => k.accessKeyId === old.accessKeyId)?.status).toBe(
      'Inactive',
    );
    const when = `${use.date.replace('T', ' ').slice(0, 19)} UTC`;
    await monitor.waitFor(`at ${when} by sts in eu-west-1`);
    await monitor.stop();
    expect(monitor.text()).toContain('keyrot: old key still in use');
    expect(monitor.text()).toContain('will break that use');
    expect(monitor.text()).not.toContain(old.accessKeyId);
    expect(shown).toEqual([]);
    const log = await readFile(w.logFile, 'utf8');
    expect(log).toContain(`at ${when} by sts in eu-west-1`);
    expect((await readStateFile(paths.stateDir))?.profiles.p?.oldKeyActive).toBeNull();
    const after = JSON.parse((await w.run(['status', '--json'])).stdout) as { pendingRotations: unknown[] };
    expect(after.pendingRotations).toEqual([]);

    const current = await w.currentKey('p');
    await expectNoSecretLeft([w], [old.secretAccessKey, current.secretAccessKey]);
  });
});
