// Runs the daemon's checks in a short-lived child process (check-worker-main.ts), one per pass.
// Why: the AWS SDK and the rotation engine cost ~50 MB of memory once loaded, and a Node process never
// gives that back; the daemon sits idle for hours between checks, so it must never load them itself.
// The worker ignores SIGTERM/SIGINT (a service manager signals the whole group): the daemon decides
// whether to wait for it or to kill it, and an abandoned rotation is resumed from the journal.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GlobalOptions } from '../commands/context.js';
import { ERROR_CODES, type ErrorCode, KeyrotError } from '../errors/keyrot-error.js';
import type { Logger, LogLevel } from '../log/logger.js';
import type { CheckReport, DaemonNotification, DaemonNotifier } from './ports.js';
import type { RotationChecker } from './rotation-checker.js';

/** A check that has not answered after this long is abandoned (the journal resumes a rotation). */
export const CHECK_TIMEOUT_MS = 10 * 60_000;

/** Messages from the daemon to the worker. */
export type ToWorker =
  | { type: 'check'; id: number; profile: string; globals: GlobalOptions }
  | { type: 'notify'; id: number; notification: DaemonNotification }
  | { type: 'done' };

/** A failure as it crosses the process boundary (already redacted by the worker). */
export interface WorkerError {
  code?: string;
  errno?: string;
  message: string;
  hint?: string;
}

/** Messages from the worker to the daemon. */
export type FromWorker =
  | { type: 'notified'; id: number }
  | { type: 'result'; id: number; ok: true; report: SerializedReport }
  | { type: 'result'; id: number; ok: false; error: WorkerError }
  | { type: 'log'; level: LogLevel; message: string; fields?: Record<string, unknown> };

type Checked = Extract<CheckReport, { kind: 'checked' }>;
type Rotated = Extract<CheckReport, { kind: 'rotated' }>;

/** A CheckReport with its dates as ISO strings. */
export type SerializedReport =
  | (Omit<Checked, 'dueAt' | 'warnFrom'> & { dueAt: string; warnFrom: string })
  | (Omit<Rotated, 'dueAt'> & { dueAt: string });

/** A RotationChecker whose in-flight work can be abandoned; it also delivers notifications. */
export interface WorkerChecker extends RotationChecker, DaemonNotifier {
  /** Kills the worker at once (SIGKILL), failing the check in progress. */
  kill(): void;
}

const WORKER_MAIN = fileURLToPath(new URL('./check-worker-main.js', import.meta.url));

/** Checks profiles in a child process started for each pass and ended after it. */
export function workerChecker(options: {
  env: NodeJS.ProcessEnv;
  globals: GlobalOptions;
  logger: Logger;
  workerPath?: string;
  timeoutMs?: number;
}): WorkerChecker {
  let worker: WorkerHandle | null = null;
  return {
    async check(profile) {
      worker ??= new WorkerHandle(options.workerPath ?? WORKER_MAIN, options.env, options.logger);
      return worker.check(profile, options.globals, options.timeoutMs ?? CHECK_TIMEOUT_MS);
    },
    async afterPass() {
      const ending = worker;
      worker = null;
      await ending?.finish();
    },
    async notify(notification) {
      // node-notifier costs ~10 MB once loaded: show it from the pass's worker (started if need be).
      const own = worker === null;
      const handle =
        worker ?? new WorkerHandle(options.workerPath ?? WORKER_MAIN, options.env, options.logger);
      if (own) worker = handle;
      try {
        await handle.notify(notification);
      } finally {
        if (own) await this.afterPass();
      }
    },
    kill() {
      worker?.kill();
    },
  };
}

/** Turns what a worker sent back into the error the daemon's policy classifies. */
export function reviveError(error: WorkerError): Error {
  if (error.code && error.code in ERROR_CODES) {
    return new KeyrotError(error.code as ErrorCode, error.message, { hint: error.hint });
  }
  return Object.assign(new Error(error.message), { code: error.errno });
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
  // biome-ignore lint/suspicious/noExplicitAny: each request resolves with its own answer type
  private readonly pending = new Map<number, { resolve(r: any): void; reject(e: unknown): void }>();
  private nextId = 1;
  private readonly exited: Promise<void>;

  constructor(
    path: string,
    env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {
    // stdout/stderr inherited: under a service manager they go to its log like the daemon's own.
    this.child = fork(path, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: FromWorker) => this.onMessage(message));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
        for (const { reject } of this.pending.values()) {
          reject(new KeyrotError('INTERNAL', `the check ${why} before answering`));
        }
        this.pending.clear();
        resolve();
      });
    });
    this.child.on('error', (error) => this.logger.warn('check worker failed', { error: error.message }));
  }

  check(profile: string, globals: GlobalOptions, timeoutMs: number): Promise<CheckReport> {
    const id = this.nextId++;
    return new Promise<CheckReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(
          new KeyrotError(
            'AWS_UNREACHABLE',
            `the check of profile ${profile} did not finish within ${Math.round(timeoutMs / 1000)} s and was abandoned`,
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
      this.send({ type: 'check', id, profile, globals });
    });
  }

  /** Shows a notification from the worker; resolves when it was handed to the OS (or failed, logged there). */
  notify(notification: DaemonNotification): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, {
        resolve: () => {
          this.pending.delete(id);
          resolve();
        },
        reject: (error) => {
          this.pending.delete(id);
          reject(error);
        },
      });
      this.send({ type: 'notify', id, notification });
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

  private send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'log') {
      this.logger[message.level]?.(message.message, message.fields);
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    if (message.type === 'notified') waiting.resolve(undefined);
    else if (message.ok) waiting.resolve(reviveReport(message.report));
    else waiting.reject(reviveError(message.error));
  }
}
