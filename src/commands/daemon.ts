// `keyrot daemon [--once]`: wires the daemon core (src/daemon) to keyrot's settings, log file,
// desktop notifications and the rotation engine, holds the one-per-user lock, and stops cleanly on
// SIGTERM/SIGINT within a bounded time.
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { keyrotPaths } from '../config/paths.js';
import { type DaemonSettings, daemonWorker } from '../daemon/check-worker.js';
import type { Schedule } from '../daemon/cron-schedule.js';
import { Daemon, passExitCode } from '../daemon/daemon.js';
import { acquireDaemonLock, daemonRunningMessage } from '../daemon/instance-lock.js';
import { systemTimers } from '../daemon/ports.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import type { LockHolder } from '../lock/index.js';
import { type ClosableLogger, createLogger, type Logger, nullLogger } from '../log/logger.js';
import { createNotifier } from '../notify/notifier.js';
import { DAEMON_NODE_OPTIONS, SERVICE_MANAGER_VARIABLE } from '../service/spec.js';
import { readPauseUntil } from '../state/pause-file.js';
import { writeStateJson } from '../state/state-shape.js';
import { systemClock } from '../time/clock.js';
import type { CommandContext } from './context.js';
import { type RunningAgent, startAgent } from './daemon-agent.js';
import { settingsWhenValid, waitsForValidSettings } from './daemon-settings.js';

/** Options of `keyrot daemon`. */
export interface DaemonInput {
  once?: boolean;
  /** While another daemon holds the lock, wait and take over when it stops (what the service runs). */
  standby?: boolean;
}

/**
 * The file the daemon's check worker process runs: check-worker-main.ts's module, or, in the built
 * bundle (dist/bundle/keyrot.cjs), the small check-worker.cjs the build writes beside it.
 */
const CHECK_WORKER_MAIN = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.cjs') ? './check-worker.cjs' : './check-worker-main.js',
    import.meta.url,
  ),
);

/** How long a stop waits for the check in progress before abandoning it (the journal resumes it). */
export const STOP_GRACE_MS = 3_000;

/**
 * The signals that stop the daemon, and the one that asks it to check now, on `platform`. On Windows
 * SIGHUP is what Node raises when the daemon's console goes away (its task ended, the user logged off),
 * and Windows ends the process seconds later: there it stops the daemon, and nothing asks for a check.
 */
export function daemonSignals(platform: NodeJS.Platform): {
  stop: NodeJS.Signals[];
  checkNow?: NodeJS.Signals;
} {
  return platform === 'win32'
    ? { stop: ['SIGTERM', 'SIGINT', 'SIGHUP'] }
    : { stop: ['SIGTERM', 'SIGINT'], checkNow: 'SIGHUP' };
}

/**
 * `keyrot daemon`: checks now, then on the schedule, after wakes and on SIGHUP, until SIGTERM/SIGINT;
 * `--once` checks once. Another live daemon: exit 4, or with `--standby` wait for it to stop.
 */
export async function daemonCommand(input: DaemonInput, ctx: CommandContext): Promise<ExitCodeValue> {
  const env = ctx.io.env;
  // The worker reads config.ini and parses its schedule (and later does every check): this process
  // never loads node-cron, the rotation engine or the AWS SDK. Its log lines go to our logger once it exists.
  let logger: ClosableLogger = nullLogger;
  const worker = daemonWorker({
    env,
    globals: ctx.globals,
    logger: forwardTo(() => logger),
    workerPath: CHECK_WORKER_MAIN,
    userName: userName(env),
    // The service runs the daemon parent --jitless; the worker does the real work with V8's compilers.
    execArgv: process.execArgv.filter((arg) => !DAEMON_NODE_OPTIONS.includes(arg)),
  });
  let releaseLock: () => Promise<void>;
  let schedule: Schedule;
  let settings: DaemonSettings;
  const signals = daemonSignals(process.platform);
  // Under a service manager stderr goes to its log, which nothing rotates (launchd's StandardErrorPath):
  // warnings and errors only there; keyrot.log, rotated, has every line.
  const stderrLevel = env[SERVICE_MANAGER_VARIABLE] ? 'warn' : undefined;
  let startupLogger: ClosableLogger | undefined;
  const waits = waitsForValidSettings(env, Boolean(input.once));
  // While waiting for valid settings, a "check now" between two looks must not end the process (SIGHUP's
  // default): it only makes the next look come sooner.
  const ignoreCheckNow = () => {};
  if (waits && signals.checkNow) process.on(signals.checkNow, ignoreCheckNow);
  try {
    const loaded = await settingsWhenValid({
      worker,
      env,
      configFile: ctx.globals.config,
      wait: waits,
      logger: () =>
        (startupLogger ??= createLogger({
          logDir: keyrotPaths(env).logDir,
          verbose: ctx.globals.verbose,
          stderr: ctx.io.stderr,
          stderrLevel: 'warn',
        })),
      pause: (ms) => pause(ms, signals),
    }).finally(() => {
      if (signals.checkNow) process.off(signals.checkNow, ignoreCheckNow);
      return startupLogger?.close();
    });
    if (!loaded) return ExitCode.ok;
    ({ settings, schedule } = loaded);
    const standBy = (holder: LockHolder | null) =>
      ctx.io.stderr.write(
        `keyrot: ${daemonRunningMessage(holder)}; standing by to take over when it stops\n`,
      );
    // A check (--once) never stands by: it is run by a person or a test, who wants the answer now.
    releaseLock = await acquireDaemonLock(
      keyrotPaths(env).stateDir,
      input.standby && !input.once ? standBy : undefined,
    );
  } catch (error) {
    await worker.afterPass();
    throw error;
  }
  const { stateDir, logDir } = keyrotPaths(env);
  logger = createLogger({
    logDir,
    verbose: ctx.globals.verbose,
    stderr: ctx.io.stderr,
    level: settings.logLevel,
    stderrLevel,
  });
  const daemon = new Daemon({
    profiles: settings.watch,
    schedule,
    checkProfile: worker.check,
    closeOtherWindows: worker.closeOtherWindows,
    afterPass: worker.afterPass,
    notifier: settings.notify ? worker : createNotifier({ enabled: false, logger }),
    logger,
    clock: systemClock,
    timers: systemTimers,
    // The daemon built this state itself: written as is (readers validate it).
    store: { load: worker.readState, save: (state) => writeStateJson(stateDir, state) },
    // The tray's "Pause checks" marker, read before each pass.
    pausedUntil: (now) => readPauseUntil(stateDir, now),
    pid: process.pid,
  });
  let abandoned = false;
  let agent: RunningAgent | undefined;
  try {
    if (input.once) {
      const results = await daemon.runPass('once');
      await daemon.stop();
      return passExitCode(results);
    }
    const signal = waitForSignal(signals.stop);
    logger.info('daemon started', {
      pid: process.pid,
      schedule: schedule.expression,
      profiles: settings.watch,
    });
    void daemon.start();
    // Only the daemon holding the instance lock gets here (not --once, not a standby still waiting).
    agent = await startAgent(env, logger);
    // SIGHUP (not on Windows): check now (after an outside change, or to see a fixed problem cleared at once).
    const checkNow = () => {
      logger.info(`check requested (${signals.checkNow})`);
      daemon.runPass('request').catch((error: unknown) => logger.error('check failed', { error }));
    };
    if (signals.checkNow) process.on(signals.checkNow, checkNow);
    const received = await signal.received;
    if (signals.checkNow) process.off(signals.checkNow, checkNow);
    logger.info('daemon stopping', { signal: received });
    abandoned = !(await within(daemon.stop(), STOP_GRACE_MS));
    if (abandoned) {
      worker.kill();
      logger.warn('abandoned the check in progress; the rotation journal resumes it at the next start');
      // stop() never got to record that no daemon runs any more.
      await writeStateJson(stateDir, { ...daemon.snapshot(), pid: null }).catch(() => undefined);
    }
    signal.dispose();
    return ExitCode.ok;
  } finally {
    await agent?.close().catch(() => undefined);
    await releaseLock().catch(() => undefined);
    await logger.close();
    // An abandoned check still has sockets and timers in flight: end the process rather than wait.
    if (abandoned) setTimeout(() => process.exit(ExitCode.ok), 200).unref();
  }
}

/** A logger that writes through whatever `current()` returns at the time of each line. */
function forwardTo(current: () => Logger): Logger {
  return {
    error: (message, fields) => current().error(message, fields),
    warn: (message, fields) => current().warn(message, fields),
    info: (message, fields) => current().info(message, fields),
    debug: (message, fields) => current().debug(message, fields),
  };
}

/** Resolves with the first of `signals`. */
function waitForSignal(signals: NodeJS.Signals[]): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => {
    handler = resolve;
  });
  for (const signal of signals) process.on(signal, handler);
  const dispose = () => {
    for (const signal of signals) process.off(signal, handler);
  };
  return { received, dispose };
}

/** Waits `ms`, or less: 'stop' on a stop signal, 'wake' on a "check now" signal, else 'timer'. */
async function pause(
  ms: number,
  signals: ReturnType<typeof daemonSignals>,
): Promise<'stop' | 'wake' | 'timer'> {
  const stop = waitForSignal(signals.stop);
  let wake = () => {};
  let timer: NodeJS.Timeout | undefined;
  const woken = new Promise<'wake'>((resolve) => {
    wake = () => resolve('wake');
  });
  if (signals.checkNow) process.on(signals.checkNow, wake);
  try {
    return await Promise.race([
      stop.received.then(() => 'stop' as const),
      woken,
      new Promise<'timer'>((resolve) => {
        timer = setTimeout(() => resolve('timer'), ms);
      }),
    ]);
  } finally {
    stop.dispose();
    clearTimeout(timer);
    if (signals.checkNow) process.off(signals.checkNow, wake);
  }
}

/** True if `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function userName(env: NodeJS.ProcessEnv): string {
  if (env.USER) return env.USER;
  if (env.LOGNAME) return env.LOGNAME;
  try {
    return userInfo().username;
  } catch {
    return 'keyrot';
  }
}
