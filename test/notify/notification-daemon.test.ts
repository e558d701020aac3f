// The test session's notification daemon is the one asked for (dunst, or xfce4-notifyd when
// KEYROT_TEST_NOTIFY_DAEMON says so), so a run under the second daemon really ran under it; and a
// notification keyrot sends reaches it and is answered.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Logger, nullLogger } from '../../src/log/logger.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { monitorNotifications, type NotifyMonitor } from '../support/notify-monitor.js';
import { describeWith } from '../support/real-part.js';

const daemon = process.env.KEYROT_TEST_NOTIFY_DAEMON ?? 'dunst';
const SERVER_NAME: Record<string, string> = { dunst: 'dunst', 'xfce4-notifyd': 'Xfce Notify Daemon' };

const suite = describeWith('notifications', 'dbusMonitor');

suite(`notifications under ${daemon}`, () => {
  let monitor: NotifyMonitor;
  beforeAll(async () => {
    monitor = await monitorNotifications();
  });
  afterAll(async () => {
    await monitor?.stop();
  });

  it('the session bus has the daemon that was asked for', () => {
    const info = spawnSync(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.Notifications',
        '/org/freedesktop/Notifications',
        'org.freedesktop.Notifications.GetServerInformation',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout.split('\n')[1]).toContain(`string "${SERVER_NAME[daemon]}"`);
  });

  it("takes keyrot's notification: it reaches the daemon, and notify-send gets its answer", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...nullLogger, warn: (message) => warnings.push(message) };
    const notifier = createNotifier({ enabled: true, logger, timeoutMs: 60_000 });
    await notifier.notify({ title: 'keyrot: rotated dev', body: `under ${daemon}` });
    // notify-send exits 0 only once the daemon answered the call; a failure would be a warning.
    expect(warnings).toEqual([]);
    await monitor.waitFor(`string "under ${daemon}"`);
  });
});
