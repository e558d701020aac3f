import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/log/logger.js';
import { rotatedMessage } from '../../src/notify/messages.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { stopAtFileEnd } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A logger that keeps what it was given, to check what a failure leaves behind. */
function recordingLogger(): Logger & { lines: { level: string; message: string; fields?: LogFields }[] } {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  const logger = {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: () => logger,
    close: async () => {},
  };
  return logger;
}

describe('createNotifier without the desktop', () => {
  it('never throws when delivery fails, and logs the failure', async () => {
    const logger = recordingLogger();
    const notifier = createNotifier({
      enabled: true,
      logger,
      send: async () => {
        throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
      },
    });
    await expect(notifier.notify({ title: 't', body: 'b' })).resolves.toBeUndefined();
    expect(logger.lines).toMatchObject([{ level: 'warn', message: 'could not show a desktop notification' }]);
  });

  it('logs, not throws, when the real notify-send finds no session bus', async () => {
    const saved = { bus: process.env.DBUS_SESSION_BUS_ADDRESS, display: process.env.DISPLAY };
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/keyrot-test-bus';
    delete process.env.DISPLAY;
    try {
      const logger = recordingLogger();
      await createNotifier({ enabled: true, logger }).notify({ title: 't', body: 'b' });
      expect(logger.lines).toMatchObject([
        { level: 'warn', message: 'could not show a desktop notification' },
      ]);
    } finally {
      restore('DBUS_SESSION_BUS_ADDRESS', saved.bus);
      restore('DISPLAY', saved.display);
    }
  });

  it('gives up on a delivery that hangs', async () => {
    const logger = recordingLogger();
    const notifier = createNotifier({
      enabled: true,
      logger,
      timeoutMs: 50,
      send: () => new Promise(() => {}),
    });
    await notifier.notify({ title: 't', body: 'b' });
    expect(logger.lines[0]?.level).toBe('warn');
  });

  it('sends nothing when disabled, and redacts what it sends', async () => {
    const sent: string[] = [];
    const send = async (n: { title: string; body: string }) => {
      sent.push(`${n.title}|${n.body}`);
    };
    await createNotifier({ enabled: false, logger: recordingLogger(), send }).notify({
      title: 't',
      body: 'b',
    });
    expect(sent).toEqual([]);
    await createNotifier({ enabled: true, logger: recordingLogger(), send }).notify({
      title: 'AKIAIOSFODNN7EXAMPLE',
      body: `secret ${SECRET}`,
    });
    expect(sent).toEqual(['AKIA…MPLE|secret [redacted-secret]']);
  });
});

const describeDaemon = describeWith('notifications');

describeDaemon(
  `createNotifier with a real notification daemon (${process.env.KEYROT_TEST_NOTIFY_DAEMON ?? 'dunst'})`,
  () => {
    let monitor: ChildProcess;
    let captured = '';

    beforeAll(async () => {
      monitor = stopAtFileEnd(
        spawn('dbus-monitor', ["interface='org.freedesktop.Notifications'"], {
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      );
      monitor.stdout?.on('data', (chunk: Buffer) => {
        captured += chunk.toString('utf8');
      });
      // dbus-monitor loses its bus name once it has become a monitor: from then on it sees every call.
      await waitFor(() => captured.includes('member=NameLost'), 60_000);
    });
    afterAll(() => {
      monitor.kill();
    });

    it('delivers the title and body to org.freedesktop.Notifications, without a secret', async () => {
      const logger = recordingLogger();
      // A generous delivery timeout: notify-send is a process of its own, slow to start on a loaded machine.
      const notifier = createNotifier({ enabled: true, logger, timeoutMs: 60_000 });
      const message = rotatedMessage({
        profile: 'dev',
        oldKeyId: 'AKIAIOSFODNN7EXA1234',
        newKeyId: 'AKIAJ2345678ABCD5678',
        oldKeyAction: 'deactivated',
      });
      // A careless caller: a secret in the body must still never reach the bus.
      await notifier.notify({ ...message, body: `${message.body} ${SECRET}` });
      await waitFor(() => captured.includes('member=Notify'), 30_000);
      const call = captured.slice(captured.indexOf('member=Notify'));
      expect(call).toContain('string "keyrot"');
      expect(call).toContain('string "keyrot: rotated dev"');
      expect(call).toContain(
        'string "Rotated key for profile dev (AKIA…1234 → AKIA…5678); old key deactivated [redacted-secret]"',
      );
      expect(captured).not.toContain(SECRET);
      expect(captured).not.toContain('AKIAIOSFODNN7EXA1234');
      expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
    });
  },
);

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
