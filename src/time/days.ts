// Key ages and due dates in whole days. A day is 24 hours of elapsed time, not a calendar day: IAM
// gives a key's creation as an instant, and a key is as old as the time that has passed since.

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** The instant `days` days after `from` (before it when negative). */
export function addDays(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}

/** Whole days from `since` to `now`, rounded down: a key's age. */
export function daysSince(since: Date, now: Date): number {
  return Math.floor((now.getTime() - since.getTime()) / DAY_MS);
}

/** Whole days from `now` until `until`, rounded up: "due in N days". */
export function daysUntil(until: Date, now: Date): number {
  return Math.ceil((until.getTime() - now.getTime()) / DAY_MS);
}

/** A key's age and where it stands against its maximum age and warning window. */
export interface KeyAge {
  ageDays: number;
  /** When the key is due for rotation: created + max age. */
  dueAt: Date;
  /** When warnings start: dueAt − warn days. */
  warnFrom: Date;
  /** Due now (now ≥ dueAt). */
  due: boolean;
  /** Not due, but within the warning window. */
  dueSoon: boolean;
}

/** The age and due dates of a key created at `created`, at `now`, under `policy`. */
export function keyAge(created: Date, policy: { maxAgeDays: number; warnDays: number }, now: Date): KeyAge {
  const dueAt = addDays(created, policy.maxAgeDays);
  const warnFrom = addDays(dueAt, -policy.warnDays);
  const due = now.getTime() >= dueAt.getTime();
  return {
    ageDays: daysSince(created, now),
    dueAt,
    warnFrom,
    due,
    dueSoon: !due && now.getTime() >= warnFrom.getTime(),
  };
}

/** An instant (a Date or ISO 8601 text) as a person reads it: `2026-12-02 07:35 UTC`. */
export function utcMinute(instant: Date | string): string {
  const iso = typeof instant === 'string' ? new Date(instant).toISOString() : instant.toISOString();
  return `${iso.replace('T', ' ').slice(0, 16)} UTC`;
}
