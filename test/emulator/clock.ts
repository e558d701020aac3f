// A clock for tests: real time plus an adjustable offset, so a test can skew the emulator's notion of now.
import type { Clock } from '../../src/time/clock.js';

/** A real clock shifted by `offsetMs` (change it at any time). */
export interface OffsetClock extends Clock {
  offsetMs: number;
}

/** Creates an OffsetClock starting at `offsetMs`. */
export function offsetClock(offsetMs = 0): OffsetClock {
  const clock: OffsetClock = {
    offsetMs,
    now: () => new Date(Date.now() + clock.offsetMs),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  return clock;
}
