// The daemon's check schedule: a cron expression (config.ini `schedule`) parsed and validated by
// node-cron, and "when is the next run after this instant" computed against an injected clock's time
// (node-cron's own timer only knows the real clock, and cannot see a laptop's sleep).
import { createHash } from 'node:crypto';
import { createTask, parse, type ScheduledTask } from 'node-cron';
import { KeyrotError } from '../errors/keyrot-error.js';
import { DAY_MS } from '../time/days.js';

/** A parsed check schedule. */
export interface Schedule {
  /** The cron expression. */
  readonly expression: string;
  /** The shortest gap between two runs (looked at over the next day of runs): caps the backoff. */
  readonly intervalMs: number;
  /** The first run strictly after `from` (local time), or null if there is none within five years. */
  nextAfter(from: Date): Date | null;
}

/** Checks more often than this would hammer IAM for nothing: such schedules are refused. */
export const MIN_INTERVAL_MS = 60_000;

const SEARCH_DAYS = 5 * 366;

/** The default schedule: hourly, at a minute derived from the user name so a team does not hit IAM together. */
export function defaultScheduleExpression(userName: string): string {
  const minute = createHash('sha256').update(userName).digest().readUInt32BE(0) % 60;
  return `${minute} * * * *`;
}

/**
 * Parses a cron expression (5 fields, or 6 with seconds). Errors are CONFIG_INVALID naming `file`
 * (config.ini) so the person knows where to fix it.
 */
export function parseSchedule(expression: string, file?: string | null): Schedule {
  const invalid = (reason: string): KeyrotError =>
    new KeyrotError(
      'CONFIG_INVALID',
      `schedule "${expression}" in ${file ?? 'config.ini'} is invalid: ${reason}`,
      {
        file: file ?? undefined,
        hint: 'write a cron expression such as "17 * * * *" (minute hour day-of-month month day-of-week)',
      },
    );
  let fields: ReturnType<typeof parse>;
  let task: ScheduledTask;
  try {
    fields = parse(expression);
    // An inline task that is never started: only its matcher is used (no timers are created).
    task = createTask(expression, () => undefined, { name: `keyrot-schedule-${expression}` });
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  const seconds = fields.second;
  const minutes = fields.minute;
  const hours = fields.hour;

  const nextAfter = (from: Date): Date | null => {
    const base = new Date(from.getFullYear(), from.getMonth(), from.getDate());
    for (let day = 0; day < SEARCH_DAYS; day += 1) {
      const y = base.getFullYear();
      const mo = base.getMonth();
      const d = base.getDate() + day;
      // Day filter: the day's first candidate time must match day-of-month, month and weekday.
      // (A first time that falls in a DST gap does not exist that day; cron skips it too.)
      if (!task.match(new Date(y, mo, d, hours[0], minutes[0], seconds[0]))) continue;
      for (const h of hours) {
        // On the first day, skip the hours and minutes already past (keeps 6-field schedules cheap).
        if (day === 0 && h < from.getHours()) continue;
        for (const m of minutes) {
          if (day === 0 && h === from.getHours() && m < from.getMinutes()) continue;
          for (const s of seconds) {
            const candidate = new Date(y, mo, d, h, m, s);
            if (candidate.getTime() > from.getTime() && task.match(candidate)) return candidate;
          }
        }
      }
    }
    return null;
  };

  const intervalMs = shortestGap(nextAfter);
  if (intervalMs === null) throw invalid('it never runs');
  if (intervalMs < MIN_INTERVAL_MS) throw invalid('it runs more often than once a minute');
  return { expression, intervalMs, nextAfter };
}

/** The shortest gap between consecutive runs over the next day's worth of runs (at least two). */
function shortestGap(nextAfter: (from: Date) => Date | null): number | null {
  let previous = nextAfter(new Date());
  if (!previous) return null;
  const horizon = previous.getTime() + DAY_MS;
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 48; i += 1) {
    const next = nextAfter(previous);
    if (!next) break;
    shortest = Math.min(shortest, next.getTime() - previous.getTime());
    if (next.getTime() > horizon && i > 0) break;
    previous = next;
  }
  // A schedule that runs once in five years: cap at a year so the backoff cap stays meaningful.
  return Number.isFinite(shortest) ? shortest : 365 * DAY_MS;
}
