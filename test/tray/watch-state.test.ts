import * as fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePauseUntil } from '../../src/state/pause-file.js';
import { emptyState, writeStateFile } from '../../src/state/state-file.js';
import { watchState } from '../../src/tray/watch-state.js';
import { tempDirSync } from '../support/cleanup.js';

function waitForCall(): { calls: number[]; next: () => Promise<number>; onChange: () => void } {
  const calls: number[] = [];
  let wake: (() => void) | null = null;
  return {
    calls,
    onChange: () => {
      calls.push(Date.now());
      wake?.();
    },
    next: () =>
      new Promise<number>((resolve) => {
        const before = calls.length;
        wake = () => calls.length > before && resolve(Date.now());
      }),
  };
}

describe('watchState', () => {
  it('reports a state file rewrite (temp + rename) once, well within 2 s', async () => {
    const stateDir = tempDirSync('watch');
    const probe = waitForCall();
    const watch = watchState(stateDir, probe.onChange);
    try {
      const started = Date.now();
      const changed = probe.next();
      await writeStateFile(stateDir, emptyState());
      expect((await changed) - started).toBeLessThan(2_000);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(probe.calls).toHaveLength(1); // the burst of events is debounced into one call
    } finally {
      watch.close();
    }
  });

  it('reports the pause marker and ignores other files such as the log', async () => {
    const stateDir = tempDirSync('watch');
    const probe = waitForCall();
    const watch = watchState(stateDir, probe.onChange);
    try {
      await fs.appendFile(path.join(stateDir, 'keyrot.log'), 'a line\n');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(probe.calls).toHaveLength(0);
      const changed = probe.next();
      await writePauseUntil(stateDir, new Date(Date.now() + 60_000));
      await changed;
      expect(probe.calls).toHaveLength(1);
    } finally {
      watch.close();
    }
  });

  it('refreshes on its own timer (once a minute in production)', async () => {
    const stateDir = tempDirSync('watch');
    const probe = waitForCall();
    const watch = watchState(stateDir, probe.onChange, { refreshMs: 100, debounceMs: 10 });
    try {
      await probe.next();
      await probe.next();
      expect(probe.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      watch.close();
    }
  });
});
