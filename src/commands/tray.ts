import path from 'node:path';
import { type KeyrotPaths, keyrotPaths, loadSettings } from '../config/index.js';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import { createLogger, LOG_FILE_NAME } from '../log/index.js';
import { createNotifier, type Notifier } from '../notify/index.js';
import { INSTALL_ROSETTA, type RunProgram } from '../platform/mac-cpu.js';
import { SERVICE_MANAGER_VARIABLE } from '../service/spec.js';
import { systemClock } from '../time/clock.js';
import { TrayApp } from '../tray/app.js';
import { keyrotCacheDir, prepareTrayHelper, trayHelperCannotRun } from '../tray/helper-binary.js';
import { checkDisplay, startTrayHost } from '../tray/host.js';
import { trayIconFile } from '../tray/icons.js';
import { acquireTrayLock } from '../tray/instance-lock.js';
import { openPath } from '../tray/open-path.js';
import { runRotateNow } from '../tray/rotate-runner.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot tray`. */
export type TrayInput = Record<string, unknown>;

/** Test seams of `keyrot tray` (this machine by default). */
export interface TrayDeps {
  platform?: NodeJS.Platform;
  /** Runs sysctl and arch (what this Mac's CPU runs). */
  run?: RunProgram;
  notifier?: Notifier;
}

/**
 * `keyrot tray`: a tray icon showing the health of the watched keys, with Rotate now, Open log, Pause
 * checks and Quit. Runs until Quit or a signal; KeyrotError TRAY_UNAVAILABLE when no tray is possible.
 * KEYROT_TRAY_EVENTS=1 prints one JSON line per event on stdout (for tests and scripts).
 */
export async function trayCommand(
  _input: TrayInput,
  ctx: CommandContext,
  deps: TrayDeps = {},
): Promise<ExitCodeValue> {
  const { env } = ctx.io;
  const platform = deps.platform ?? process.platform;
  // Fail fast and clearly before copying the helper when there is no display at all.
  checkDisplay(env, platform);
  const cannotRun = await trayHelperCannotRun({ platform, run: deps.run });
  if (cannotRun) return helperCannotRun(cannotRun, ctx, deps);
  const paths = keyrotPaths(env);
  const release = await acquireTrayLock(paths.stateDir);
  try {
    return await runTray(ctx, paths);
  } finally {
    await release();
  }
}

/**
 * The tray's helper cannot run on this CPU (an Intel-only helper, Apple silicon without Rosetta 2): a
 * person is told how to fix it (TRAY_UNAVAILABLE, exit 1). Under launchd, which restarts an agent that
 * exits non-zero every 30 s and would fail the same way each time, the tray says so once (stderr,
 * keyrot.log, a notification) and exits 0, so launchd leaves it stopped until the next login.
 */
async function helperCannotRun(reason: string, ctx: CommandContext, deps: TrayDeps): Promise<ExitCodeValue> {
  const error = new KeyrotError(
    'TRAY_UNAVAILABLE',
    `cannot show a tray icon: its helper program (systray2's tray_darwin_release) ${reason}`,
    {
      hint: `install Rosetta 2 with \`${INSTALL_ROSETTA}\`, then log in again (or run \`keyrot service install --with-tray\`); the daemon keeps checking your keys and its notifications still work`,
    },
  );
  const { env } = ctx.io;
  if (env[SERVICE_MANAGER_VARIABLE] !== 'launchd') throw error;
  const logger = createLogger({
    logDir: keyrotPaths(env).logDir,
    verbose: ctx.globals.verbose,
    stderr: ctx.io.stderr,
    stderrLevel: 'warn',
  });
  try {
    logger.error('tray icon unavailable; not started again until the next login', { error });
    const notifier = deps.notifier ?? createNotifier({ enabled: true, logger });
    await notifier.notify({
      title: 'keyrot: no tray icon',
      body: `The tray icon cannot run on this Mac until Rosetta 2 is installed (${INSTALL_ROSETTA}); keyrot keeps checking your keys.`,
      urgency: 'normal',
    });
  } finally {
    await logger.close();
  }
  return ExitCode.ok;
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
