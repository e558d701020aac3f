// dbus-monitor on the test session's bus, capturing the Notify calls a notification daemon receives.
import { spawn } from 'node:child_process';
import { stopAtFileEnd, stopProcess } from './cleanup.js';

/** dbus-monitor on the session bus, watching Notify calls. */
export interface NotifyMonitor {
  /** Everything captured so far. */
  text(): string;
  /** Resolves once the capture contains `needle` (rejects after `timeoutMs`). */
  waitFor(needle: string, timeoutMs?: number): Promise<void>;
  /** Stops dbus-monitor. */
  stop(): Promise<void>;
}

/** Starts dbus-monitor and resolves once it is listening; it is stopped when the test file ends at the latest. */
export async function monitorNotifications(): Promise<NotifyMonitor> {
  const child = stopAtFileEnd(
    spawn(
      'dbus-monitor',
      ['--session', "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  let captured = '';
  child.stdout.on('data', (chunk: Buffer) => {
    captured += chunk.toString('utf8');
  });
  const monitor: NotifyMonitor = {
    text: () => captured,
    async waitFor(needle, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!captured.includes(needle)) {
        if (Date.now() > deadline)
          throw new Error(`dbus-monitor never saw ${JSON.stringify(needle)}:\n${captured}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => stopProcess(child),
  };
  // dbus-monitor announces itself (NameAcquired) once its match rule is in place. Until then a
  // notification would be missed, so wait as long as a loaded machine may need.
  await monitor.waitFor('NameAcquired', 60_000).catch(() => undefined);
  return monitor;
}
