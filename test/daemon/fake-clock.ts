import type { Timers } from '../../src/daemon/ports.js';

/**
 * A fake wall clock plus fake monotonic timers. `advance` moves both (firing due timers in order and
 * awaiting what they return); `suspend` moves only the wall clock, as a laptop's sleep does.
 */
export class FakeClock implements Timers {
  private monotonic = 0;
  private offset: number;
  private nextId = 0;
  private timers: { id: number; due: number; fn: () => void | Promise<void> }[] = [];
  /** Every delay a timer was armed with (idle-cost assertions). */
  readonly armed: number[] = [];

  constructor(start: Date) {
    this.offset = start.getTime();
  }

  now(): Date {
    return new Date(this.monotonic + this.offset);
  }

  set(ms: number, fn: () => void | Promise<void>): () => void {
    const id = this.nextId++;
    this.armed.push(ms);
    this.timers.push({ id, due: this.monotonic + ms, fn });
    return () => {
      this.timers = this.timers.filter((timer) => timer.id !== id);
    };
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.length;
  }

  /** Lets `ms` of awake time pass, firing every timer that falls due. */
  async advance(ms: number): Promise<void> {
    const end = this.monotonic + ms;
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due);
      const timer = this.timers[0];
      if (!timer || timer.due > end) break;
      this.timers.shift();
      this.monotonic = timer.due;
      await timer.fn();
    }
    this.monotonic = end;
  }

  /** The machine sleeps for `ms`: wall time jumps, timers do not advance. */
  suspend(ms: number): void {
    this.offset += ms;
  }
}
