import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/time/clock.js';
import { backoffDelayMs, withRetry } from '../../src/time/retry.js';

/** A clock whose sleep moves time forward at once, recording each wait. */
function steppingClock(): Clock & { waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => new Date(now),
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
}

const busy = Object.assign(new Error('busy'), { code: 'BUSY' });
const isBusy = (error: unknown) => (error as { code?: string }).code === 'BUSY';

describe('withRetry', () => {
  it('tries again after retryable errors, doubling the wait up to its cap, and returns the first success', async () => {
    const clock = steppingClock();
    const tries: number[] = [];
    const waited: number[] = [];
    const value = await withRetry(
      { clock, totalMs: 60_000, initialMs: 100, maxDelayMs: 1_000 },
      async (n) => {
        tries.push(n);
        if (n < 7) throw busy;
        return 'ok';
      },
      isBusy,
      (waitedMs) => waited.push(waitedMs),
    );
    expect(value).toBe('ok');
    expect(tries).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(clock.waits).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(waited).toEqual([0, 100, 300, 700, 1_500, 2_500]);
  });

  it('rethrows at once an error that is not retryable', async () => {
    const clock = steppingClock();
    const other = new Error('denied');
    await expect(
      withRetry({ clock, totalMs: 60_000 }, async () => Promise.reject(other), isBusy),
    ).rejects.toBe(other);
    expect(clock.waits).toEqual([]);
  });

  it('gives up with the last error rather than start a wait that ends after the budget', async () => {
    const clock = steppingClock();
    let tries = 0;
    await expect(
      withRetry(
        { clock, totalMs: 1_000, initialMs: 200, maxDelayMs: 5_000 },
        async () => {
          tries += 1;
          throw Object.assign(new Error(`busy ${tries}`), { code: 'BUSY' });
        },
        isBusy,
      ),
    ).rejects.toThrow('busy 3');
    // 200 + 400 = 600 ms waited; the next wait (800 ms) would end at 1 400 ms.
    expect(clock.waits).toEqual([200, 400]);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the first delay per failure and stops at the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, 60_000, 3_600_000))).toEqual([
      60_000, 120_000, 240_000, 480_000,
    ]);
    expect(backoffDelayMs(50, 60_000, 3_600_000)).toBe(3_600_000);
    expect(backoffDelayMs(0, 100, 1_000)).toBe(100);
  });
});
