// The daemon's check schedule: a cron expression (config.ini `schedule`) parsed and validated by
// node-cron, in the check worker (and the tests); its runs are computed from the parsed fields by
// cron-schedule.ts, which the daemon parent loads alone.
import { createHash } from 'node:crypto';
import { parse } from 'node-cron';
import { type CronFields, invalidSchedule, type Schedule, scheduleOf } from './cron-schedule.js';

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
  let fields: CronFields;
  try {
    fields = parse(expression);
  } catch (error) {
    throw invalidSchedule(expression, file, error instanceof Error ? error.message : String(error));
  }
  return scheduleOf({ expression, fields }, file);
}
