import { describe, expect, it } from 'vitest';
import { defaultScheduleExpression, parseSchedule } from '../../src/daemon/schedule.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';

describe('schedule', () => {
  it('defaults to hourly at a minute derived from the user name, stable per user', () => {
    const alice = defaultScheduleExpression('alice');
    expect(alice).toMatch(/^([0-9]|[1-5][0-9]) \* \* \* \*$/);
    expect(defaultScheduleExpression('alice')).toBe(alice);
    const minutes = new Set(
      ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map(defaultScheduleExpression),
    );
    expect(minutes.size).toBeGreaterThan(3);
    expect(parseSchedule(alice).intervalMs).toBe(3_600_000);
  });

  it('finds the next run strictly after an instant, across days and weekdays', () => {
    const hourly = parseSchedule('17 * * * *');
    expect(hourly.nextAfter(new Date(2026, 10, 25, 10, 5))).toEqual(new Date(2026, 10, 25, 10, 17));
    expect(hourly.nextAfter(new Date(2026, 10, 25, 10, 17))).toEqual(new Date(2026, 10, 25, 11, 17));
    expect(hourly.nextAfter(new Date(2026, 10, 25, 23, 30))).toEqual(new Date(2026, 10, 26, 0, 17));
    // Weekdays at 09:30; 2026-11-27 is a Friday.
    const weekdays = parseSchedule('30 9 * * 1-5');
    expect(weekdays.nextAfter(new Date(2026, 10, 27, 10, 0))).toEqual(new Date(2026, 10, 30, 9, 30));
    expect(weekdays.intervalMs).toBe(86_400_000);
    const lastOfMonth = parseSchedule('0 12 L * *');
    expect(lastOfMonth.nextAfter(new Date(2026, 1, 2))).toEqual(new Date(2026, 1, 28, 12, 0));
  });

  it('refuses an invalid expression with CONFIG_INVALID naming config.ini', () => {
    const error = (() => {
      try {
        parseSchedule('61 * * * *', '/home/u/.config/keyrot/config.ini');
      } catch (e) {
        return e;
      }
    })();
    expect(isKeyrotError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      'schedule "61 * * * *" in /home/u/.config/keyrot/config.ini is invalid: 61 is a invalid expression for minute',
    );
    expect((error as { file: string }).file).toBe('/home/u/.config/keyrot/config.ini');
    expect(() => parseSchedule('every hour')).toThrow(/config\.ini is invalid: expected 5 or 6 fields/);
    expect(() => parseSchedule('0 0 31 2 *')).toThrow(/impossible day of month/);
  });

  it('refuses schedules that would hit IAM more than once a minute', () => {
    expect(() => parseSchedule('*/10 * * * * *')).toThrow(/more often than once a minute/);
    expect(parseSchedule('* * * * *').intervalMs).toBe(60_000);
  });
});
