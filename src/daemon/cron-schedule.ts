// A check schedule's runs, computed from node-cron's parse of the expression (its fields with every name,
// range, step and nickname expanded) without node-cron itself: the daemon parent, which idles for hours,
// then loads neither node-cron (which loads node:crypto and node:child_process's task runner) nor its
// matcher, which reads the local time through Intl (ICU's time zone and locale data: ~8 MB resident on
// Node 24). The worker parses (schedule.ts); the parent walks the fields here. The day rules are
// node-cron's (all six fields must match; L, nW, LW and L-n in day of month; n#k and nL in day of week),
// checked against node-cron itself in test/daemon/cron-schedule.test.ts.
import { KeyrotError } from '../errors/keyrot-error.js';
import { DAY_MS } from '../time/days.js';

/** A cron expression as node-cron's `parse` expands it: 0-59, 0-59, 0-23, 1-31 or a token, 1-12, 0-6 or a token. */
export interface CronFields {
  second: number[];
  minute: number[];
  hour: number[];
  /** Days, or 'L' (the last), 'nW'/'LW' (the weekday nearest day n / the last day), 'L-n' (n days before the last). */
  dayOfMonth: Array<number | string>;
  month: number[];
  /** Weekdays (0 is Sunday), or 'w#k' (the k-th weekday w of the month), 'wL' (the last weekday w). */
  dayOfWeek: Array<number | string>;
}

/** A schedule as plain data, what the worker sends the daemon: the expression and its parsed fields. */
export interface ScheduleSpec {
  readonly expression: string;
  readonly fields: CronFields;
}

/** A parsed check schedule. */
export interface Schedule extends ScheduleSpec {
  /** The shortest gap between two runs (looked at over the next day of runs): caps the backoff. */
  readonly intervalMs: number;
  /** The first run strictly after `from` (local time), or null if there is none within five years. */
  nextAfter(from: Date): Date | null;
}

/** Checks more often than this would hammer IAM for nothing: such schedules are refused. */
export const MIN_INTERVAL_MS = 60_000;

const SEARCH_DAYS = 5 * 366;

/** The CONFIG_INVALID error of a schedule, naming `file` (config.ini) so the person knows where to fix it. */
export function invalidSchedule(
  expression: string,
  file: string | null | undefined,
  reason: string,
): KeyrotError {
  return new KeyrotError(
    'CONFIG_INVALID',
    `schedule "${expression}" in ${file ?? 'config.ini'} is invalid: ${reason}`,
    {
      file: file ?? undefined,
      hint: 'write a cron expression such as "17 * * * *" (minute hour day-of-month month day-of-week)',
    },
  );
}

/** The first run of `fields` strictly after `from` (local time), or null if there is none within five years. */
export function nextRun(fields: CronFields, from: Date): Date | null {
  const seconds = sorted(fields.second);
  const minutes = sorted(fields.minute);
  const hours = sorted(fields.hour);
  for (let day = 0; day < SEARCH_DAYS; day += 1) {
    const date = new Date(from.getFullYear(), from.getMonth(), from.getDate() + day);
    const y = date.getFullYear();
    const mo = date.getMonth();
    const d = date.getDate();
    if (!dayMatches(fields, y, mo + 1, d)) continue;
    for (const h of hours) {
      // On the first day, skip the hours and minutes already past (keeps 6-field schedules cheap).
      if (day === 0 && h < from.getHours()) continue;
      for (const m of minutes) {
        if (day === 0 && h === from.getHours() && m < from.getMinutes()) continue;
        for (const s of seconds) {
          const candidate = new Date(y, mo, d, h, m, s);
          // A time in a daylight-saving gap does not exist that day (Date moves it): cron skips it too.
          if (candidate.getTime() > from.getTime() && timeMatches(fields, candidate)) return candidate;
        }
      }
    }
  }
  return null;
}

/** The schedule of parsed fields; CONFIG_INVALID (naming `file`) when it never runs or runs more than once a minute. */
export function scheduleOf(spec: ScheduleSpec, file?: string | null): Schedule {
  const nextAfter = (from: Date) => nextRun(spec.fields, from);
  const intervalMs = shortestGap(nextAfter);
  if (intervalMs === null) throw invalidSchedule(spec.expression, file, 'it never runs');
  if (intervalMs < MIN_INTERVAL_MS) {
    throw invalidSchedule(spec.expression, file, 'it runs more often than once a minute');
  }
  return { expression: spec.expression, fields: spec.fields, intervalMs, nextAfter };
}

/** Whether every field matches `date`'s local time (a candidate moved by a daylight-saving gap may not). */
function timeMatches(fields: CronFields, date: Date): boolean {
  return (
    fields.second.includes(date.getSeconds()) &&
    fields.minute.includes(date.getMinutes()) &&
    fields.hour.includes(date.getHours()) &&
    dayMatches(fields, date.getFullYear(), date.getMonth() + 1, date.getDate())
  );
}

/** Whether the day (month 1-12) matches the month, day-of-month and day-of-week fields. */
function dayMatches(fields: CronFields, year: number, month: number, day: number): boolean {
  if (!fields.month.includes(month)) return false;
  const last = new Date(year, month, 0).getDate();
  const weekdayOf = (d: number) => new Date(year, month - 1, d).getDay();
  const weekday = weekdayOf(day);
  const onDayOfMonth = fields.dayOfMonth.some((value) => {
    if (value === day) return true;
    if (typeof value !== 'string') return false;
    if (value === 'L') return day === last;
    const nearest = /^(\d{1,2}|L)W$/.exec(value);
    if (nearest) {
      const target = nearest[1] === 'L' ? last : Number(nearest[1]);
      return target <= last && nearestWeekday(target, last, weekdayOf(target)) === day;
    }
    const beforeLast = /^L-(\d{1,2})$/.exec(value);
    return beforeLast !== null && last - Number(beforeLast[1]) === day;
  });
  if (!onDayOfMonth) return false;
  return fields.dayOfWeek.some((value) => {
    if (value === weekday) return true;
    if (typeof value !== 'string') return false;
    const nth = /^([0-7])#([1-5])$/.exec(value);
    if (nth) return Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2]);
    const lastOf = /^([0-7])L$/i.exec(value);
    return lastOf !== null && Number(lastOf[1]) % 7 === weekday && day + 7 > last;
  });
}

/** The weekday nearest day `target` in its month (never crossing into another month). */
function nearestWeekday(target: number, last: number, weekday: number): number {
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
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
