// The daemon honours the tray's "Pause checks" marker (<stateDir>/pause-until, src/state/pause-file.ts):
// no scheduled, retry, wake or start check while it holds a future time; the check that fell due
// meanwhile runs when the pause ends or the marker is deleted; the state file and `status` say so.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../../src/commands/status.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { CheckReport } from '../../src/daemon/ports.js';
import { parseSchedule } from '../../src/daemon/schedule.js';
import { clearPause, pauseFilePath, readPauseUntil, writePauseUntil } from '../../src/state/pause-file.js';
import { tempDir } from '../support/cleanup.js';
import { FakeClock } from './fake-clock.js';
import { memoryStateStore } from './memory-state-store.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// 10:05 local; the schedule runs hourly at :17.
const at = (h: number, m: number) => new Date(2026, 10, 25, h, m, 0);

let stateDir: string;
beforeEach(async () => {
  stateDir = await tempDir('pause-daemon');
});

function harness() {
  const clock = new FakeClock(at(10, 5));
  const calls: { reason: string; at: Date }[] = [];
  const stateFile = memoryStateStore();
  const report = (now: Date): CheckReport => {
    const dueAt = new Date(now.getTime() + 80 * DAY);
    return {
      kind: 'checked',
      keyId: 'AKIA…AAAA',
      ageDays: 10,
      dueAt,
      warnFrom: new Date(dueAt.getTime() - 7 * DAY),
    };
  };
  const quiet = () => undefined;
  const daemon = new Daemon({
    profiles: ['dev'],
    schedule: parseSchedule('17 * * * *'),
    checkProfile: async () => {
      calls.push({ reason: 'check', at: clock.now() });
      return report(clock.now());
    },
    notifier: { notify: async () => undefined },
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
    clock,
    timers: clock,
    store: stateFile.store,
    pid: 4242,
    // The real marker reader, on a real file, against the fake wall clock.
    pausedUntil: (now) => readPauseUntil(stateDir, now),
  });
  return { clock, daemon, checks: () => calls.map((c) => c.at), state: stateFile.saved };
}

describe('daemon and the pause marker', () => {
  it('started while paused: no check until the pause ends, then the owed check, then the schedule', async () => {
    await writePauseUntil(stateDir, at(11, 0));
    const h = harness();
    await h.daemon.start(); // 10:05
    expect(h.checks()).toEqual([]);
    expect(h.state()).toMatchObject({
      pausedUntil: at(11, 0).toISOString(),
      nextCheck: at(11, 0).toISOString(),
      lastCheck: null,
    });
    await h.clock.advance(54 * MIN); // 10:59, past the 10:17 slot
    expect(h.checks()).toEqual([]);
    await h.clock.advance(1 * MIN); // 11:00
    expect(h.checks()).toEqual([at(11, 0)]);
    expect(h.state()).toMatchObject({ pausedUntil: null, nextCheck: at(11, 17).toISOString() });
    await h.clock.advance(17 * MIN);
    expect(h.checks()).toEqual([at(11, 0), at(11, 17)]);
    await h.daemon.stop();
  });

  it('paused while running: skips the scheduled checks, waits by ticks without spinning, resumes at the end', async () => {
    const h = harness();
    await h.daemon.start();
    expect(h.checks()).toEqual([at(10, 5)]);
    await h.clock.advance(5 * MIN); // 10:10: "Pause checks" until 12:30
    await writePauseUntil(stateDir, at(12, 30));
    const armedBefore = h.clock.armed.length;
    await h.clock.advance(2 * HOUR + 19 * MIN); // 12:29: 10:17, 11:17 and 12:17 fell in the pause
    expect(h.checks()).toEqual([at(10, 5)]);
    expect(h.state()).toMatchObject({
      pausedUntil: at(12, 30).toISOString(),
      nextCheck: at(12, 30).toISOString(),
    });
    // At most one timer a minute while paused, and never a long one: the marker is re-read every tick.
    expect(h.clock.armed.length - armedBefore).toBeLessThanOrEqual(2 * 60 + 20);
    expect(Math.max(...h.clock.armed)).toBeLessThanOrEqual(MIN);
    await h.clock.advance(1 * MIN); // 12:30
    expect(h.checks()).toEqual([at(10, 5), at(12, 30)]);
    expect(h.state()?.pausedUntil).toBeNull();
    await h.daemon.stop();
  });

  it('deleting the marker resumes within a tick; a past, malformed or local-time marker is no pause', async () => {
    await writePauseUntil(stateDir, at(18, 0));
    const h = harness();
    await h.daemon.start(); // 10:05, paused
    await h.clock.advance(20 * MIN); // 10:25: the 10:17 check is owed
    expect(h.checks()).toEqual([]);
    await clearPause(stateDir);
    await h.clock.advance(1 * MIN);
    expect(h.checks()).toHaveLength(1);
    expect(h.checks()[0]!.getTime()).toBeLessThanOrEqual(at(10, 26).getTime());
    expect(h.state()?.pausedUntil).toBeNull();

    for (const text of [`${at(10, 0).toISOString()}\n`, 'soon\n', '2026-11-25T23:00:00\n', '']) {
      await writeFile(pauseFilePath(stateDir), text);
      const before = h.checks().length;
      await h.clock.advance(HOUR);
      expect(h.checks().length, JSON.stringify(text)).toBe(before + 1);
    }
    await h.daemon.stop();
  });

  it('an explicit request (SIGHUP) still checks while paused, and the pause goes on', async () => {
    await writePauseUntil(stateDir, at(12, 0));
    const h = harness();
    await h.daemon.start();
    await h.daemon.runPass('request');
    expect(h.checks()).toEqual([at(10, 5)]);
    await h.clock.advance(HOUR); // 11:05: 10:17 was skipped
    expect(h.checks()).toHaveLength(1);
    expect(h.state()?.pausedUntil).toBe(at(12, 0).toISOString());
    await h.daemon.stop();
  });

  it('`status` says that checks are paused (table and JSON), reading the marker itself', async () => {
    const until = new Date(Date.now() + HOUR);
    await writePauseUntil(stateDir, until);
    const credentialsFile = path.join(stateDir, 'credentials');
    await writeFile(credentialsFile, '[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
    const run = async (json: boolean) => {
      let stdout = '';
      const sink = (write: (text: string) => void) =>
        new Writable({
          write(chunk, _encoding, done) {
            write(String(chunk));
            done();
          },
        });
      const env = {
        HOME: stateDir,
        KEYROT_STATE_DIR: stateDir,
        XDG_CONFIG_HOME: path.join(stateDir, 'none'),
      };
      await statusCommand(
        { offline: true, json },
        {
          globals: { verbose: false, credentialsFile },
          io: {
            stdout: sink((t) => {
              stdout += t;
            }),
            stderr: sink(() => undefined),
            stdin: process.stdin,
            isTTY: false,
            env,
          },
        },
      );
      return stdout;
    };
    expect(await run(false)).toContain(
      `checks are paused until ${until.toISOString()} (delete ${pauseFilePath(stateDir)} to resume)`,
    );
    expect(JSON.parse(await run(true)).pausedUntil).toBe(until.toISOString());
    await clearPause(stateDir);
    expect(await run(false)).not.toContain('paused');
    expect(JSON.parse(await run(true)).pausedUntil).toBeNull();
  });
});
