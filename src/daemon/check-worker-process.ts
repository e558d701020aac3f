// The daemon's worker process (forked by check-worker.ts for one pass): it reads config.ini and the
// state file, checks profiles through the rotation engine, shows notifications, forwards its log
// lines (redacted) to the daemon's logger, and exits when told the pass is over. The process's entry
// (commands/check-worker-main.ts) calls serveCheckWorker with the wiring of the real rotation parts.

import { loadSettings } from '../config/load-settings.js';
import type { Overrides } from '../config/overrides.js';
import { keyrotPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import { describeError } from '../errors/describe-error.js';
import { redactText } from '../errors/redact.js';
import type { LogFields, Logger, LogLevel } from '../log/logger.js';
import { redactValue } from '../log/redact-value.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import { readStateFile } from '../state/state-file.js';
import type {
  DaemonSettings,
  FromWorker,
  SerializedReport,
  SerializedWindowResult,
  ToWorker,
  WorkerRequest,
} from './check-worker.js';
import type { CheckReport } from './ports.js';
import { type RotationChecker, rotationChecker, type WireRotation } from './rotation-checker.js';
import { defaultScheduleExpression, parseSchedule } from './schedule.js';

/** How the worker gets its real rotation dependencies for the daemon's overrides and the settings it read. */
export type WireRotationFor = (globals: Overrides, settings: Settings) => WireRotation;

const sends = new Set<Promise<void>>();
let settings: Promise<Settings> | null = null;
let checker: RotationChecker | null = null;
let notifier: Notifier | null = null;

/** Makes this process the daemon's check worker: answers its requests until it says the pass is done. */
export function serveCheckWorker(wireFor: WireRotationFor): void {
  // The daemon decides when to stop us: a service manager's SIGTERM to the whole group is not ours.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  // The daemon is gone (crashed, killed): nobody waits for our answer; the journal resumes any rotation.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ToWorker) => {
    void handle(message, wireFor);
  });
}

async function handle(message: ToWorker, wireFor: WireRotationFor): Promise<void> {
  if (message.type === 'done') {
    await checker?.afterPass().catch(() => undefined);
    await Promise.all(sends);
    process.exit(0);
  }
  try {
    const value = await answer(message.request, message.globals, wireFor);
    send({ type: 'reply', id: message.id, ok: true, value });
  } catch (error) {
    send({ type: 'reply', id: message.id, ok: false, error: describeError(error) });
  }
}

async function answer(
  request: WorkerRequest,
  globals: Overrides,
  wireFor: WireRotationFor,
): Promise<unknown> {
  settings ??= loadSettings({ path: globals.config, env: process.env });
  switch (request.op) {
    case 'settings': {
      const { file, schedule, watch, notify, logLevel } = await settings;
      // Parsed here: the daemon walks the parsed fields without loading node-cron (cron-schedule.ts).
      const { expression, fields } = parseSchedule(
        schedule ?? defaultScheduleExpression(request.userName),
        file,
      );
      return { file, schedule: { expression, fields }, watch, notify, logLevel } satisfies DaemonSettings;
    }
    case 'read-state':
      return readStateFile(keyrotPaths(process.env).stateDir);
    case 'check':
      return serializeReport(await (await passChecker(globals, wireFor)).check(request.profile));
    case 'close-windows': {
      const found = await (await passChecker(globals, wireFor)).closeOtherWindows(request.watched);
      return found.map(({ profile, result }) => ({
        profile,
        result: result.ok ? result : { ok: false, error: describeError(result.error) },
      })) satisfies SerializedWindowResult[];
    }
    case 'notify':
      notifier ??= createNotifier({ enabled: true, logger: ipcLogger });
      await notifier.notify(request.notification);
      return null;
  }
}

/** The pass's rotation checker, wired at its first use. */
async function passChecker(globals: Overrides, wireFor: WireRotationFor): Promise<RotationChecker> {
  const loaded = await settings!;
  checker ??= rotationChecker(wireFor(globals, loaded), loaded, ipcLogger);
  return checker;
}

function send(message: FromWorker): void {
  if (!process.send || !process.connected) return;
  const sent = new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
  sends.add(sent);
  void sent.then(() => sends.delete(sent));
}

/** A Logger that hands every line, redacted, to the daemon's logger. */
const ipcLogger: Logger = {
  error: ipcLine('error'),
  warn: ipcLine('warn'),
  info: ipcLine('info'),
  debug: ipcLine('debug'),
};

function ipcLine(level: LogLevel): (message: string, fields?: LogFields) => void {
  return (message, fields) =>
    send({
      type: 'log',
      level,
      message: redactText(message),
      fields: redactValue(fields ?? {}) as LogFields,
    });
}

function serializeReport(report: CheckReport): SerializedReport {
  if (report.kind === 'checked') {
    return { ...report, dueAt: report.dueAt.toISOString(), warnFrom: report.warnFrom.toISOString() };
  }
  return { ...report, dueAt: report.dueAt.toISOString() };
}
