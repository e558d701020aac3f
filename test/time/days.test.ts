import { describe, expect, it } from 'vitest';
import { addDays, DAY_MS, daysSince, daysUntil, keyAge } from '../../src/time/days.js';

const created = new Date('2026-01-01T12:00:00.000Z');
const policy = { maxAgeDays: 90, warnDays: 7 };

describe('key age arithmetic', () => {
  it('counts whole elapsed days down, and days left up', () => {
    expect(daysSince(created, new Date(created.getTime() + 3 * DAY_MS - 1))).toBe(2);
    expect(daysSince(created, addDays(created, 3))).toBe(3);
    expect(daysUntil(addDays(created, 3), new Date(created.getTime() + 1))).toBe(3);
    expect(daysUntil(addDays(created, 3), addDays(created, 3))).toBe(0);
    expect(addDays(created, -1).toISOString()).toBe('2025-12-31T12:00:00.000Z');
  });

  it('puts a key in its warning window, then due, at the exact instants', () => {
    const dueAt = addDays(created, 90);
    const warnFrom = addDays(dueAt, -7);
    expect(keyAge(created, policy, new Date(warnFrom.getTime() - 1))).toMatchObject({
      ageDays: 82,
      dueAt,
      warnFrom,
      due: false,
      dueSoon: false,
    });
    expect(keyAge(created, policy, warnFrom)).toMatchObject({ ageDays: 83, due: false, dueSoon: true });
    expect(keyAge(created, policy, new Date(dueAt.getTime() - 1))).toMatchObject({
      due: false,
      dueSoon: true,
    });
    expect(keyAge(created, policy, dueAt)).toMatchObject({ ageDays: 90, due: true, dueSoon: false });
  });
});
