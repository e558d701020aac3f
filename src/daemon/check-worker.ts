// The daemon's heavy lifting runs in a short-lived child process (check-worker-process.ts, started
// through the entry commands/ wires), one per pass:
// reading config.ini (and parsing its schedule with node-cron) and the state file, checking profiles (the rotation engine and the AWS
// SDK) and showing notifications (node-notifier). Why: together they cost ~35 MB of memory once
// loaded, a Node process never gives that back, and the daemon sits idle for hours between checks.
// The worker ignores SIGTERM/SIGINT (a service manager signals the whole group): the daemon decides
// whether to wait for it or to kill it, and an abandoned rotation is resumed from the journal.
import { type ChildProcess, type ForkOptions, fork } from 'node:child_process';
import type { Overrides } from '../config/overrides.js';
import type { LogLevel } from '../config/settings.js';
import { type ErrorDescription, isErrorCode } from '../errors/describe-error.js';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { Logger } from '../log/logger.js';
import type { Notification, Notifier } from '../notify/notifier.js';
import type { DaemonState } from '../state/state-file.js';
import type { ScheduleSpec } from './cron-schedule.js';
import type { CheckReport, CloseOtherWindows, OtherWindowResult } from './ports.js';

/** A check that has not answered after this long is abandoned (the journal resumes a rotation). */
export const CHECK_TIMEOUT_MS = 10 * 60_000;

/** The part of keyrot's settings the daemon itself needs. */
export interface DaemonSettings {
  file: string | null;
  /** The schedule, parsed and validated (the default one when config.ini names none). */
  schedule: ScheduleSpec;
  watch: string[];
  notify: boolean;
  logLevel: LogLevel;
}

/** What the daemon can ask of a worker. */
export type WorkerRequest =
  | { op: 'settings'; userName: string }
  | { op: 'read-state' }
  | { op: 'check'; profile: string }
  | { op: 'close-windows'; watched: string[] }
  | { op: 'notify'; notification: Notification };

/** Messages from the daemon to the worker. */
export type ToWorker =
  | { type: 'request'; id: number; globals: Overrides; request: WorkerRequest }
  | { type: 'done' };

/** Messages from the worker to the daemon. */
export type FromWorker =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: ErrorDescription }
  | { type: 'log'; level: LogLevel; message: string; fields?: Record<string, unknown> };

type Checked = Extract<CheckReport, { kind: 'checked' }>;
type Rotated = Extract<CheckReport, { kind: 'rotated' }>;

/** An OtherWindowResult as it crosses the IPC channel: a failure as describeError made it. */
export type SerializedWindowResult = Omit<OtherWindowResult, 'result'> & {
  result: Extract<OtherWindowResult['result'], { ok: true }> | { ok: false; error: ErrorDescription };
};

/** A CheckReport with its dates as ISO strings. */
export type SerializedReport =
  | (Omit<Checked, 'dueAt' | 'warnFrom'> & { dueAt: string; warnFrom: string })
  | (Omit<Rotated, 'dueAt'> & { dueAt: string });

/** The daemon's side of the worker: each call starts the pass's worker if none is running. */
export interface DaemonWorker extends Notifier {
  /** keyrot's settings (CONFIG_INVALID and friends, an invalid schedule's too, are thrown as they are). */
  settings(): Promise<DaemonSettings>;
  /** The state file, validated; null when absent. */
  readState(): Promise<DaemonState | null>;
  /** Checks one profile (rotating it when due). */
  check(profile: string): Promise<CheckReport>;
  /** Closes the due grace windows of the profiles outside `watched`. */
  closeOtherWindows: CloseOtherWindows;
  /** Ends the pass: the worker releases its clients and exits. */
  afterPass(): Promise<void>;
  /** Kills the worker at once (SIGKILL), failing what it was doing. */
  kill(): void;
}

/** Creates the daemon's worker side; `workerPath` is the module the worker process runs (it calls serveCheckWorker). */
export function daemonWorker(options: {
  env: NodeJS.ProcessEnv;
  globals: Overrides;
  logger: Logger;
  workerPath: string;
  /** Whose default schedule applies when config.ini names none (schedule.ts). */
  userName: string;
  /** Node's options for the worker (default: the daemon's own, as fork gives them). */
  execArgv?: readonly string[];
  timeoutMs?: number;
  /** Starts the worker process (node:child_process fork; tests record what it is given). */
  fork?: typeof fork;
}): DaemonWorker {
  let worker: WorkerHandle | null = null;
  const current = () => {
    worker ??= new WorkerHandle(
      options.workerPath,
      options.env,
      options.execArgv,
      options.logger,
      options.fork ?? fork,
    );
    return worker;
  };
  const ask = (request: WorkerRequest, timeoutMs = 60_000) =>
    current().ask(request, options.globals, timeoutMs);
  const self: DaemonWorker = {
    settings: async () => (await ask({ op: 'settings', userName: options.userName })) as DaemonSettings,
    readState: async () => (await ask({ op: 'read-state' })) as DaemonState | null,
    async check(profile) {
      const report = await ask({ op: 'check', profile }, options.timeoutMs ?? CHECK_TIMEOUT_MS);
      return reviveReport(report as SerializedReport);
    },
    async closeOtherWindows(watched) {
      const found = await ask({ op: 'close-windows', watched }, options.timeoutMs ?? CHECK_TIMEOUT_MS);
      return (found as SerializedWindowResult[]).map(({ profile, result }) => ({
        profile,
        result: result.ok ? result : { ok: false, error: reviveError(result.error) },
      }));
    },
    async notify(notification) {
      // Normally sent during a pass; a worker started just for it is ended right after.
      const own = worker === null;
      try {
        await ask({ op: 'notify', notification }, 30_000);
      } finally {
        if (own) await self.afterPass();
      }
    },
    async afterPass() {
      const ending = worker;
      worker = null;
      await ending?.finish();
    },
    kill() {
      worker?.kill();
    },
  };
  return self;
}

/** Turns a failure the worker described (describeError) back into the error the daemon's policy classifies. */
export function reviveError(error: ErrorDescription): Error {
  // A system error (ECONNRESET…) stays one: the daemon retries network failures.
  if (error.errno || !isErrorCode(error.code)) {
    return Object.assign(new Error(error.message), { code: error.errno });
  }
  return new KeyrotError(error.code, error.message, { hint: error.hint, file: error.file, line: error.line });
}

function reviveReport(report: SerializedReport): CheckReport {
  if (report.kind === 'checked') {
    return { ...report, dueAt: new Date(report.dueAt), warnFrom: new Date(report.warnFrom) };
  }
  return { ...report, dueAt: new Date(report.dueAt) };
}

/** One worker process and its pending requests. */
class WorkerHandle {
  private readonly child: ChildProcess;
  private readonly pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: unknown): void }
  >();
  private nextId = 1;
  private readonly exited: Promise<void>;

  constructor(
    path: string,
    env: NodeJS.ProcessEnv,
    execArgv: readonly string[] | undefined,
    private readonly logger: Logger,
    start: typeof fork,
  ) {
    // stdout/stderr inherited: under a service manager they go to its log like the daemon's own.
    // The argument 'daemon' is what a lock the worker holds names it by ("keyrot daemon", src/lock).
    // windowsHide: a worker started once per check must never open a console window on Windows. fork
    // hands its options to spawn, which takes it; @types/node leaves it out of ForkOptions.
    const forkOptions: ForkOptions & { windowsHide: boolean } = {
      env,
      ...(execArgv ? { execArgv: [...execArgv] } : {}),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      windowsHide: true,
    };
    this.child = start(path, ['daemon'], forkOptions);
    this.child.on('message', (message: FromWorker) => this.onMessage(message));
    this.child.on('error', (error) => this.logger.warn('check worker failed', { error: error.message }));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
        for (const { reject } of this.pending.values()) {
          reject(new KeyrotError('INTERNAL', `the check worker ${why} before answering`));
        }
        this.pending.clear();
        resolve();
      });
    });
  }

  ask(request: WorkerRequest, globals: Overrides, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        const what =
          request.op === 'check'
            ? `the check of profile ${request.profile}`
            : request.op === 'close-windows'
              ? 'closing the grace windows of unwatched profiles'
              : `the ${request.op} request`;
        reject(
          new KeyrotError(
            'AWS_UNREACHABLE',
            `${what} did not finish within ${Math.round(timeoutMs / 1000)} s and was abandoned`,
          ),
        );
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          this.pending.delete(id);
          fn(value);
        };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      if (!this.send({ type: 'request', id, globals, request })) {
        this.pending.get(id)?.reject(new KeyrotError('INTERNAL', 'the check worker is gone'));
      }
    });
  }

  /** Asks the worker to release its clients and exit; kills it if it does not within 10 s. */
  async finish(): Promise<void> {
    this.send({ type: 'done' });
    const timer = setTimeout(() => this.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(message: ToWorker): boolean {
    if (!this.child.connected) return false;
    this.child.send(message);
    return true;
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'log') {
      this.logger[message.level]?.(message.message, message.fields);
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(reviveError(message.error));
  }
}
