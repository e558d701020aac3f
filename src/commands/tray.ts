import path from 'node:path';
import { type KeyrotPaths, keyrotPaths, loadSettings } from '../config/index.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import { createLogger, LOG_FILE_NAME } from '../log/index.js';
import { createNotifier } from '../notify/index.js';
import { systemClock } from '../time/clock.js';
import { TrayApp } from '../tray/app.js';
import { keyrotCacheDir, prepareTrayHelper } from '../tray/helper-binary.js';
import { checkDisplay, startTrayHost } from '../tray/host.js';
import { trayIconFile } from '../tray/icons.js';
import { acquireTrayLock } from '../tray/instance-lock.js';
import { openPath } from '../tray/open-path.js';
import { runRotateNow } from '../tray/rotate-runner.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot tray`. */
export type TrayInput = Record<string, unknown>;

/**
 * `keyrot tray`: a tray icon showing the health of the watched keys, with Rotate now, Open log, Pause
 * checks and Quit. Runs until Quit or a signal; KeyrotError TRAY_UNAVAILABLE when no tray is possible.
 * KEYROT_TRAY_EVENTS=1 prints one JSON line per event on stdout (for tests and scripts).
 */
export async function trayCommand(_input: TrayInput, ctx: CommandContext): Promise<ExitCodeValue> {
  const { env } = ctx.io;
  // Fail fast and clearly before copying the helper when there is no display at all.
  checkDisplay(env, process.platform);
  const paths = keyrotPaths(env);
  const release = await acquireTrayLock(paths.stateDir);
  try {
    return await runTray(ctx, paths);
  } finally {
    await release();
  }
}

async function runTray(ctx: CommandContext, paths: KeyrotPaths): Promise<ExitCodeValue> {
  const { env } = ctx.io;
  const helper = await prepareTrayHelper({ cacheDir: keyrotCacheDir(env) });
  const logger = createLogger({
    logDir: paths.logDir,
    verbose: ctx.globals.verbose,
    stderr: ctx.io.stderr,
    stderrLevel: 'warn',
  });
  const settingsNow = () => loadSettings({ path: ctx.globals.config, env });
  const notifyEnabled = await settingsNow().then(
    (settings) => settings.notify,
    () => true,
  );
  const events =
    env.KEYROT_TRAY_EVENTS === '1'
      ? (event: Record<string, unknown>) => ctx.io.stdout.write(`${JSON.stringify(event)}\n`)
      : undefined;

  const app = new TrayApp({
    stateDir: paths.stateDir,
    logFile: path.join(paths.logDir, LOG_FILE_NAME),
    clock: systemClock,
    async loadSettings() {
      const settings = await settingsNow();
      return { watch: settings.watch, warnDays: (profile) => settings.profile(profile).warnDays };
    },
    startHost: (model, onClick) =>
      startTrayHost(model, {
        helper,
        iconFile: (state) => trayIconFile(state),
        onClick,
        env,
        readyTimeoutMs: Number(env.KEYROT_TRAY_READY_TIMEOUT_MS) || undefined,
      }),
    rotate: (profile, onProgress) => {
      logger.info('tray: rotate now', { profile });
      return runRotateNow({ profile, globals: ctx.globals, env, onProgress });
    },
    openPath: (target) => openPath(target, { env }),
    notifier: createNotifier({ enabled: notifyEnabled, logger }),
    events,
  });
  const stop = () => app.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await app.run();
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await logger.close();
  }
  return ExitCode.ok;
}
