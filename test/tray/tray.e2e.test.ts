// `keyrot tray` end to end: the built CLI and systray2's real helper under Xvfb with a private session
// bus. The menu and icon are read, and items clicked, over D-Bus exactly as a desktop panel does it
// (StatusNotifierItem + dbusmenu); "Rotate now" rotates a key in the emulator through the real SDK.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { maskKeyId } from '../../src/errors/redact.js';
import { pauseFilePath } from '../../src/state/pause-file.js';
import { writeStateFile } from '../../src/state/state-file.js';
import { type DaemonState, parseDaemonState } from '../../src/state/state-schema.js';
import { formatClock } from '../../src/tray/model.js';
import { stopAtFileEnd, tempDir } from '../support/cleanup.js';
import { createDaemonWorld, type DaemonWorld } from '../support/daemon-world.js';
import { monitorNotifications, type NotifyMonitor } from '../support/notify-monitor.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';
import { leakedSecrets } from '../support/world.js';
import { clickMenu, findTrayConnection, itemProperty, menuLayout, visibleLabels } from './support/sni.js';

const DAY = 86_400_000;
const ASSETS = path.join(import.meta.dirname, '../../assets/tray');

const describeReal = describeWith('trayHost', 'notifications', 'secretService', 'dbusMonitor');

type TrayEvent = Record<string, unknown> & { event: string };

/** A running `keyrot tray` with its event lines (KEYROT_TRAY_EVENTS=1). */
interface RunningTray {
  child: ChildProcess;
  events: TrayEvent[];
  stderr(): string;
  waitFor(what: string, match: (event: TrayEvent) => boolean, timeoutMs?: number): Promise<TrayEvent>;
  exited: Promise<number | null>;
}

function startTray(env: NodeJS.ProcessEnv): RunningTray {
  const child = stopAtFileEnd(
    spawn(process.execPath, [CLI_PATH, 'tray'], {
      // NO_AT_BRIDGE: keep GTK's accessibility bus out of the private session (one connection per helper).
      // A generous ready timeout: the GTK helper starts slowly on a loaded machine.
      env: { ...env, NO_AT_BRIDGE: '1', KEYROT_TRAY_EVENTS: '1', KEYROT_TRAY_READY_TIMEOUT_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const events: TrayEvent[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as TrayEvent);
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    async waitFor(what, match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`tray never reported ${what}; events ${JSON.stringify(events)}; stderr ${stderr}`);
        }
        await sleep(25);
      }
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A state file as the daemon writes it: profile dev's key `ageDays` old, measured just now. */
function stateWith(ageDays: number, now = new Date()): DaemonState {
  return parseDaemonState({
    version: 1,
    lastCheck: now.toISOString(),
    nextCheck: new Date(now.getTime() + 3_600_000).toISOString(),
    profiles: {
      dev: {
        keyId: 'AKIA…TEST',
        ageDays,
        dueAt: new Date(now.getTime() + (90 - ageDays) * DAY).toISOString(),
        lastResult: {
          at: now.toISOString(),
          outcome: ageDays >= 83 ? 'due-soon' : 'not-due',
          message: 'checked',
        },
      },
    },
  });
}

async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting until ${what}; last: ${JSON.stringify(last)}`);
    await sleep(25);
  }
}

async function iconBytes(connection: string): Promise<Buffer> {
  return readFile((await itemProperty(connection, 'IconName')) as string);
}

describeReal('keyrot tray (real systray2 helper, Xvfb, D-Bus menu)', () => {
  let world: DaemonWorld | undefined;
  let tray: RunningTray | undefined;
  let monitor: NotifyMonitor | undefined;
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    if (tray && tray.child.exitCode === null) {
      tray.child.kill('SIGTERM');
      await tray.exited;
    }
    tray = undefined;
    await world?.close();
    world = undefined;
  });

  it('shows each profile, follows state changes, pauses, rotates from the menu and quits', async () => {
    world = await createDaemonWorld({ keyAgeDays: 23 });
    await writeStateFile(world.stateDir, stateWith(23));
    tray = startTray(world.env);

    // Starts and reports ready; its helper exports the icon and menu on the session bus.
    const ready = await tray.waitFor('ready', (e) => e.event === 'ready');
    const connection = await findTrayConnection(ready.helperPid as number);
    expect(connection, 'the helper is on the session bus').not.toBeNull();
    const bus = connection!;

    // The menu a panel shows, and the healthy icon.
    expect(visibleLabels(await menuLayout(bus))).toEqual([
      'dev — 23 days, due in 67 days',
      expect.stringMatching(/^Last check \d\d:\d\d · next \d\d:\d\d$/),
      'Rotate dev now',
      'Open log',
      'Pause checks for 1 hour',
      'Quit',
    ]);
    expect(await iconBytes(bus)).toEqual(await readFile(path.join(ASSETS, 'healthy.png')));
    // appindicator has no tooltip on Linux; the text keyrot hands systray2 (shown on macOS/Windows):
    const firstRender = await tray.waitFor('first render', (e) => e.event === 'render');
    expect(firstRender.tooltip).toBe('keyrot: key healthy\ndev — 23 days, due in 67 days');

    // The daemon records an older key: the menu and icon follow the file (watched, not polled: the
    // tray's own refresh is once a minute). The 2 s figure is measured in watch-state.test.ts; here
    // every probe is a busctl process, so a loaded machine gets room.
    const written = Date.now();
    await writeStateFile(world.stateDir, stateWith(85));
    await pollUntil(
      'the menu shows the new age',
      async () => visibleLabels(await menuLayout(bus))[0],
      (label) => label === 'dev — 85 days, due in 5 days',
      20_000,
    );
    expect(Date.now() - written).toBeLessThan(30_000);
    const dueSoon = await readFile(path.join(ASSETS, 'due-soon.png'));
    await pollUntil(
      'the due-soon icon',
      () => iconBytes(bus),
      (bytes) => bytes.equals(dueSoon),
      20_000,
    );

    // Pause checks for 1 hour: the marker for the daemon, and the item turns into Resume.
    const clicked = Date.now();
    await clickMenu(bus, 'Pause checks for 1 hour');
    const until = await pollUntil(
      'the pause marker',
      async () =>
        existsSync(pauseFilePath(world!.stateDir)) ? readFile(pauseFilePath(world!.stateDir), 'utf8') : '',
      (text) => text !== '',
    );
    const pausedUntil = Date.parse(until.trim());
    expect(pausedUntil - clicked).toBeGreaterThanOrEqual(3_600_000 - 1_000);
    expect(pausedUntil - clicked).toBeLessThanOrEqual(3_600_000 + 5_000);
    const resume = `Resume checks (paused until ${formatClock(new Date(pausedUntil))})`;
    await pollUntil(
      'the Resume item',
      async () => visibleLabels(await menuLayout(bus)),
      (l) => l.includes(resume),
    );
    await clickMenu(bus, resume);
    await pollUntil(
      'the marker is gone',
      async () => existsSync(pauseFilePath(world!.stateDir)),
      (e) => !e,
    );

    // Rotate now: the same code as `keyrot rotate-now`, against the emulator; progress, then a notification.
    monitor = await monitorNotifications();
    const old = await world.currentKey('dev');
    await clickMenu(bus, 'Rotate dev now');
    const finished = await tray.waitFor('rotation end', (e) => e.event === 'rotation-finished', 120_000);
    expect(finished, tray.stderr()).toMatchObject({ profile: 'dev', ok: true, exitCode: 0 });
    const rotating = tray.events.find((e) => e.event === 'render' && e.icon === 'rotating');
    expect(rotating?.items).toContain('Rotating dev…');
    expect(rotating?.items).toContain('Rotating dev: starting…');

    const now = await world.currentKey('dev');
    expect(now.accessKeyId).not.toBe(old.accessKeyId);
    const keys = world.emulator.admin.keys('alice');
    expect(keys.find((k) => k.accessKeyId === now.accessKeyId)?.status).toBe('Active');
    // The daemon's words; the key ids make it this rotation's notification, not another test's.
    await monitor.waitFor(
      `Rotated key for profile dev (${maskKeyId(old.accessKeyId)} → ${maskKeyId(now.accessKeyId)}); old key deactivated`,
    );
    await pollUntil(
      'the menu reports the rotation',
      async () => visibleLabels(await menuLayout(bus)),
      (labels) => labels.some((l) => /^\d\d:\d\d dev: rotated /.test(l)) && labels.includes('Rotate dev now'),
    );
    expect(
      leakedSecrets(JSON.stringify(tray.events) + tray.stderr() + monitor.text(), world.secrets),
    ).toEqual([]);

    // Quit removes the icon and ends the process cleanly.
    await clickMenu(bus, 'Quit');
    expect(await tray.exited).toBe(0);
    expect(spawnSync('kill', ['-0', String(ready.helperPid)]).status).not.toBe(0);
  }, 300_000);

  it('allows one tray per user, and exits 0 on SIGTERM taking its helper with it', async () => {
    world = await createDaemonWorld({ keyAgeDays: 5 });
    tray = startTray(world.env);
    const ready = await tray.waitFor('ready', (e) => e.event === 'ready');
    // No state file yet: the menu asks whether the daemon runs.
    const bus = (await findTrayConnection(ready.helperPid as number))!;
    expect(visibleLabels(await menuLayout(bus)).slice(0, 2)).toEqual([
      'dev — not checked yet',
      'No check yet — is the daemon running?',
    ]);
    // One icon per user: a second tray refuses with exit 4.
    const second = await runCli(['tray'], { env: { ...world.env, NO_AT_BRIDGE: '1' }, timeoutMs: 20_000 });
    expect(second.code).toBe(4);
    expect(second.stderr).toContain('keyrot: another keyrot tray is already running for this user');

    tray.child.kill('SIGTERM');
    expect(await tray.exited).toBe(0);
    expect(spawnSync('kill', ['-0', String(ready.helperPid)]).status).not.toBe(0);
  }, 180_000);
});

it('keyrot tray without a display exits 1 saying why and that notifications still work', async () => {
  const home = await tempDir('tray');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_STATE_HOME: home, XDG_CACHE_HOME: home };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const result = await runCli(['tray'], { env, timeoutMs: 20_000 });
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    'keyrot: cannot show a tray icon: no display (DISPLAY and WAYLAND_DISPLAY are not set)\n' +
      '  the daemon keeps checking your keys and its desktop notifications still work; run `keyrot tray` inside a graphical session that has a system tray\n',
  );
  // It stopped before touching anything.
  expect(readdirSync(home)).toEqual([]);
});
