// Spans of keyrot's slow work (each keychain call, a command's start), published on a Node
// diagnostics channel. Nothing listens in normal runs, and then a span costs one property read;
// `npm run bench` subscribes (scripts/bench/trace-preload.mjs) to print where a rotation's time goes.
// performance is Node's global, loaded on first use: importing node:perf_hooks costs every run ~0.7 ms.
import { channel } from 'node:diagnostics_channel';

/** The channel the spans are published on: `{ name, start, end }` in ms since the process started. */
export const TRACE_CHANNEL = 'keyrot:trace';

const spans = channel(TRACE_CHANNEL);

/** Publishes that `name` happened now (a span of no length). */
export function traceMark(name: string): void {
  if (spans.hasSubscribers) {
    const now = performance.now();
    spans.publish({ name, start: now, end: now });
  }
}

/** Runs `work` and, when someone listens, publishes how long it took under `name`. */
export async function traceSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!spans.hasSubscribers) return work();
  const start = performance.now();
  try {
    return await work();
  } finally {
    spans.publish({ name, start, end: performance.now() });
  }
}
