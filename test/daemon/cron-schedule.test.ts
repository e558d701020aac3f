// The daemon parent computes a schedule's runs from node-cron's parsed fields without node-cron
// (src/daemon/cron-schedule.ts): here node-cron itself is the oracle. For any expression node-cron
// accepts and any instant, the next run is the one node-cron's own getNextRuns finds from that instant.
import fc from 'fast-check';
import { createTask, parse } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CronFields, nextRun, scheduleOf } from '../../src/daemon/cron-schedule.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';

const FIVE_YEARS_MS = 5 * 366 * 86_400_000;

/** node-cron's next run after `from` (its public getNextRuns counts from the current time), or null if it finds none. */
function nodeCronNextRun(expression: string, from: Date): Date | null {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(from);
  try {
    return createTask(expression, () => undefined).getNextRuns(1)[0] ?? null;
  } catch {
    // node-cron gives up after 100 years without a run.
    return null;
  } finally {
    vi.useRealTimers();
  }
}

const int = (min: number, max: number) => fc.integer({ min, max });
/** One field of a cron expression within [min, max]: *, n, a-b, step forms and lists of them. */
const field = (min: number, max: number, extra: fc.Arbitrary<string>[] = []) => {
  const one = fc.oneof(
    int(min, max).map(String),
    fc.tuple(int(min, max), int(min, max)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    int(1, Math.max(1, max - min)).map((step) => `*/${step}`),
    fc
      .tuple(int(min, max), int(min, max), int(1, 10))
      .map(([a, b, step]) => `${Math.min(a, b)}-${Math.max(a, b)}/${step}`),
    ...extra,
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('*') },
    { weight: 3, arbitrary: one },
    { weight: 2, arbitrary: fc.array(one, { minLength: 2, maxLength: 3 }).map((parts) => parts.join(',')) },
  );
};
const dayOfMonth = field(1, 31, [
  fc.constant('L'),
  fc.constant('LW'),
  int(1, 31).map((n) => `${n}W`),
  int(1, 30).map((n) => `L-${n}`),
]);
const month = field(1, 12, [fc.constantFrom('JAN', 'feb', 'Mar,Sep', 'jun-aug')]);
const dayOfWeek = field(0, 7, [
  fc.tuple(int(0, 7), int(1, 5)).map(([w, k]) => `${w}#${k}`),
  int(0, 7).map((w) => `${w}L`),
  fc.constantFrom('MON', 'sun', 'tue-fri', 'SAT,SUN'),
]);
/** 5-field expressions, and 6-field ones with one second (a schedule runs at most once a minute). */
const expression = fc
  .tuple(fc.option(int(0, 59), { nil: undefined }), field(0, 59), field(0, 23), dayOfMonth, month, dayOfWeek)
  .map(([second, ...rest]) => [...(second === undefined ? [] : [String(second)]), ...rest].join(' '));
/** Instants between 2000 and 2045, not on whole seconds. */
const instant = fc.date({ min: new Date(2000, 0, 1), max: new Date(2045, 0, 1), noInvalidDate: true });

/** node-cron's parse, or null for an expression it refuses. */
function parsed(text: string): CronFields | null {
  try {
    return parse(text);
  } catch {
    return null;
  }
}

describe('a schedule computed from its parsed fields', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('finds the run node-cron finds, for any expression it accepts and any instant', () => {
    fc.assert(
      fc.property(expression, instant, (text, from) => {
        const fields = parsed(text);
        fc.pre(fields !== null);
        const ours = nextRun(fields as CronFields, from);
        const oracle = nodeCronNextRun(text, from);
        if (ours !== null) {
          expect(ours.toISOString()).toBe(oracle?.toISOString());
        } else {
          // We look five years ahead; node-cron, a hundred.
          expect(oracle === null || oracle.getTime() - from.getTime() > FIVE_YEARS_MS - 86_400_000).toBe(
            true,
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  it('finds the same runs as node-cron on the schedules people write', () => {
    const from = new Date(2026, 10, 27, 10, 17, 30);
    for (const text of [
      '17 * * * *',
      '0 3 * * *',
      '*/15 9-17 * * 1-5',
      '0 12 L * *',
      '0 9 15W * *',
      '0 9 LW * *',
      '0 0 L-2 * *',
      '0 9 * * 1#1',
      '0 18 * * 5L',
      '0 0 29 2 *',
      '30 8 1 jan,jul sun',
      '@daily',
      '@weekly',
      '5 0 * * * *',
    ]) {
      let at = from;
      for (let i = 0; i < 5; i += 1) {
        const ours = nextRun(parse(text), at);
        expect(ours?.toISOString(), `${text} after ${at.toISOString()}`).toBe(
          nodeCronNextRun(text, at)?.toISOString(),
        );
        at = ours as Date;
      }
    }
  });

  it('says when a schedule never runs within five years', () => {
    // 29 February on a Monday: 2044, then 2072.
    expect(nextRun(parse('0 0 29 2 1'), new Date(2045, 0, 1))).toBeNull();
    const error = (() => {
      try {
        return scheduleOf({ expression: 'never', fields: { ...parse('0 0 * * *'), month: [] } }, '/c.ini');
      } catch (e) {
        return e;
      }
    })();
    expect(isKeyrotError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe('schedule "never" in /c.ini is invalid: it never runs');
  });
});
