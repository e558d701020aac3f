// TrayApp with its ports replaced by recorders (the real helper and CLI are in tray.e2e.test.ts):
// clicks that have no observable D-Bus result of their own — Open log, a second Rotate click.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/time/clock.js';
import { TrayApp, type TrayAppDeps } from '../../src/tray/app.js';
import type { TrayHost } from '../../src/tray/host.js';
import type { TrayMenuItem, TrayModel } from '../../src/tray/model.js';
import type { RotationRun } from '../../src/tray/rotate-runner.js';
import { tempDirSync } from '../support/cleanup.js';

function harness(overrides: Partial<TrayAppDeps> = {}) {
  const stateDir = tempDirSync('app');
  const models: TrayModel[] = [];
  const opened: string[] = [];
  const notes: { title: string; body: string }[] = [];
  let click: (item: TrayMenuItem) => void = () => {};
  let finishRotation: (run: RotationRun) => void = () => {};
  const rotations: string[] = [];
  const host: TrayHost = {
    helperPid: 1,
    stopped: new Promise(() => {}),
    async render(model) {
      models.push(model);
    },
    async close() {},
  };
  const app = new TrayApp({
    stateDir,
    logFile: path.join(stateDir, 'keyrot.log'),
    clock: systemClock,
    loadSettings: async () => ({ watch: ['dev'], warnDays: () => 7 }),
    startHost: async (model, onClick) => {
      models.push(model);
      click = onClick;
      return host;
    },
    rotate: (profile) => {
      rotations.push(profile);
      return new Promise((resolve) => {
        finishRotation = resolve;
      });
    },
    openPath: async (target) => {
      opened.push(target);
      return true;
    },
    notifier: { notify: async (note) => void notes.push(note) },
    watch: () => ({ close() {} }),
    ...overrides,
  });
  const running = app.run();
  const item = (key: string) => models.at(-1)!.items.find((i) => i.key === key)!;
  return {
    app,
    running,
    stateDir,
    models,
    opened,
    notes,
    rotations,
    item,
    click: (key: string) => click(item(key)),
    finish: (run: RotationRun) => finishRotation(run),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Waits (up to 10 s: a loaded machine is slow) until `condition` holds; fails naming `what`. */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('TrayApp', () => {
  it('opens the log file, or its folder before the first log line', async () => {
    const t = harness();
    await until('the tray shows its menu', () => t.models.length > 0);
    t.click('open-log');
    await until('the folder is opened', () => t.opened.length === 1);
    writeFileSync(path.join(t.stateDir, 'keyrot.log'), '{}\n');
    t.click('open-log');
    await until('the log is opened', () => t.opened.length === 2);
    expect(t.opened).toEqual([t.stateDir, path.join(t.stateDir, 'keyrot.log')]);
    t.app.stop();
    await t.running;
  });

  it('tells the person where the log is when nothing can open it', async () => {
    const t = harness({ openPath: async () => false });
    await until('the tray shows its menu', () => t.models.length > 0);
    t.click('open-log');
    await until('a notification', () => t.notes.length > 0);
    expect(t.notes).toEqual([
      {
        title: 'keyrot: cannot open the log',
        body: `No program to open it was found; the log is ${path.join(t.stateDir, 'keyrot.log')}`,
      },
    ]);
    t.app.stop();
    await t.running;
  });

  it('runs one rotation at a time, shows it, and notifies how it ended', async () => {
    const t = harness();
    await until('the tray shows its menu', () => t.models.length > 0);
    const rotate = t.item('rotate');
    t.click('rotate');
    await until('the rotating icon', () => t.models.at(-1)?.icon === 'rotating');
    t.click('rotate'); // a stale menu may still deliver a click: ignored
    (t.app as unknown as { onClick(item: TrayMenuItem): void }).onClick(rotate);
    await settle(); // (a second rotation, if one were started, would show by now)
    expect(t.rotations).toEqual(['dev']);
    t.finish({ profile: 'dev', exitCode: 5, ok: false, message: 'needs you: MFA code required' });
    await until('the end is shown', () => t.models.at(-1)?.icon === 'action-needed' && t.notes.length > 0);
    expect(t.models.at(-1)?.icon).toBe('action-needed');
    expect(t.notes).toEqual([
      {
        title: 'keyrot: dev not rotated',
        body: 'Rotation for profile dev failed: needs you: MFA code required',
        urgency: 'critical',
      },
    ]);
    t.app.stop();
    await t.running;
  });
});
