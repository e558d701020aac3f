// The daemon's settings and schedule at start-up. Invalid settings are a person's to fix: a daemon run
// by hand, or by systemd (RestartPreventExitStatus=2), exits 2. launchd has no such setting: a KeepAlive
// agent that exits 2 is started again every 30 s, forever, each time failing the same way. Under launchd
// the daemon therefore stays up, says once why (stderr, keyrot.log, a notification, `idle` in the state
// file for `keyrot service status`), and starts as soon as the settings file changes and reads valid
// (or on SIGHUP).
import { stat } from 'node:fs/promises';
import { keyrotPaths } from '../config/paths.js';
import type { DaemonSettings, DaemonWorker } from '../daemon/check-worker.js';
import { type Schedule, scheduleOf } from '../daemon/cron-schedule.js';
import { describeError, exitCodeOf } from '../errors/describe-error.js';
import { ExitCode } from '../errors/keyrot-error.js';
import type { Logger } from '../log/logger.js';
import { settingsInvalidMessage } from '../notify/messages.js';
import { SERVICE_MANAGER_VARIABLE } from '../service/spec.js';
import { emptyState, writeStateJson } from '../state/state-shape.js';

/** How often a daemon waiting for valid settings looks whether the settings file changed. */
export const SETTINGS_RECHECK_MS = 30_000;

/** What settingsWhenValid needs. */
export interface SettingsWaitOptions {
  worker: Pick<DaemonWorker, 'settings' | 'readState' | 'notify' | 'afterPass'>;
  env: NodeJS.ProcessEnv;
  /** The settings file named on the command line, if any. */
  configFile?: string;
  /** Only under launchd: elsewhere invalid settings end the daemon (exit 2). */
  wait: boolean;
  /** Says why, once (a logger writing keyrot.log and, at warn level, stderr). */
  logger: () => Logger;
  /** Waits `ms`: 'stop' when the daemon is asked to stop, 'wake' on a "check now" (SIGHUP), else 'timer'. */
  pause(ms: number): Promise<'stop' | 'wake' | 'timer'>;
  recheckMs?: number;
}

/** Whether a daemon started by this environment waits for valid settings instead of exiting 2. */
export function waitsForValidSettings(env: NodeJS.ProcessEnv, once: boolean): boolean {
  return env[SERVICE_MANAGER_VARIABLE] === 'launchd' && !once;
}

/** The settings and schedule, waiting (see above) when `wait`; null when asked to stop while waiting. */
export async function settingsWhenValid(
  options: SettingsWaitOptions,
): Promise<{ settings: DaemonSettings; schedule: Schedule } | null> {
  const { worker, env } = options;
  const stateDir = keyrotPaths(env).stateDir;
  let waiting = false;
  let seen: string;
  for (;;) {
    try {
      const settings = await worker.settings();
      // The worker parsed and validated it: only its runs are computed here.
      const schedule = scheduleOf(settings.schedule, settings.file);
      if (waiting) {
        options.logger().warn("keyrot's settings are valid again: checking starts");
        const state = (await worker.readState().catch(() => null)) ?? emptyState();
        await writeStateJson(stateDir, { ...state, idle: null }).catch(() => undefined);
      }
      return { settings, schedule };
    } catch (error) {
      if (!options.wait || exitCodeOf(error) !== ExitCode.usage) throw error;
      const described = describeError(error);
      const file = described.file ?? options.configFile ?? keyrotPaths(env).configFile;
      if (!waiting) {
        waiting = true;
        options
          .logger()
          .error(
            "keyrot's settings are invalid: checking no key until they are fixed (launchd would restart a daemon that exits every 30 s)",
            { error },
          );
        await worker
          .notify(settingsInvalidMessage({ file, reason: described.message }))
          .catch(() => undefined);
        const state = (await worker.readState().catch(() => null)) ?? emptyState();
        await writeStateJson(stateDir, {
          ...state,
          pid: process.pid,
          idle: {
            reason: `invalid settings: ${described.message.split('\n')[0]}`,
            since: new Date().toISOString(),
          },
        }).catch(() => undefined);
      }
      // No worker process while waiting; a new one reads the settings again.
      await worker.afterPass();
      seen = await fileStamp(file);
      for (;;) {
        const woke = await options.pause(options.recheckMs ?? SETTINGS_RECHECK_MS);
        if (woke === 'stop') return null;
        // Read again when asked to (SIGHUP) or when the file changed.
        if (woke === 'wake' || (await fileStamp(file)) !== seen) break;
      }
    }
  }
}

/** The size and modification time of `file` (or that it is missing), to notice an edit cheaply. */
async function fileStamp(file: string): Promise<string> {
  return stat(file).then(
    (info) => `${info.size}:${info.mtimeMs}`,
    () => 'missing',
  );
}
