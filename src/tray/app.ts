// The running tray: reads the state file, settings and pause marker, shows the model, reacts to file
// changes and to clicks (rotate, open log, pause/resume, quit). Every effect is an injected port.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors/describe-error.js';
import { failedMessage, type Notification, type Notifier, rotatedMessage } from '../notify/index.js';
import { clearPause, PAUSE_MS, readPauseUntil, writePauseUntil } from '../state/pause-file.js';
import { type DaemonState, readStateFile } from '../state/state-file.js';
import type { Clock } from '../time/clock.js';
import type { TrayHost } from './host.js';
import {
  buildTrayModel,
  type FinishedRotation,
  type RotationInProgress,
  type TrayMenuItem,
  type TrayModel,
} from './model.js';
import type { RotationRun } from './rotate-runner.js';
import { type StateWatch, watchState } from './watch-state.js';

/** The parts of keyrot's settings the tray uses. */
export interface TraySettings {
  watch: string[];
  warnDays(profile: string): number;
}

/** Everything the tray touches, injected. */
export interface TrayAppDeps {
  stateDir: string;
  /** The log file "Open log" opens. */
  logFile: string;
  clock: Clock;
  loadSettings(): Promise<TraySettings>;
  startHost(model: TrayModel, onClick: (item: TrayMenuItem) => void): Promise<TrayHost>;
  rotate(profile: string, onProgress: (line: string) => void): Promise<RotationRun>;
  openPath(target: string): Promise<boolean>;
  notifier: Notifier;
  /** Test channel: one event per render, click and rotation (KEYROT_TRAY_EVENTS=1). */
  events?(event: Record<string, unknown>): void;
  /** Time zone of clock times in the menu (tests pin it). */
  timeZone?: string;
  watch?: typeof watchState;
}

/** The tray icon's life, from start to Quit. */
export class TrayApp {
  private host: TrayHost | null = null;
  private watcher: StateWatch | null = null;
  private rotation: RotationInProgress | null = null;
  private lastRotation: FinishedRotation | null = null;
  private settings: TraySettings = { watch: ['default'], warnDays: () => 7 };
  private refreshing: Promise<void> | null = null;
  private again = false;
  private finish: (() => void) | null = null;
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(private readonly deps: TrayAppDeps) {}

  /** Shows the icon and runs until Quit or stop(); rejects when the icon cannot be shown or goes away. */
  async run(): Promise<void> {
    const first = await this.model();
    this.host = await this.deps.startHost(first, (item) => this.onClick(item));
    this.emit({ event: 'ready', helperPid: this.host.helperPid });
    this.emitRender(first);
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    this.watcher = (this.deps.watch ?? watchState)(this.deps.stateDir, () => void this.refresh());
    try {
      const outcome = await Promise.race([done.then(() => null), this.host.stopped]);
      if (outcome) throw outcome;
    } finally {
      await this.shutdown();
    }
  }

  /** Removes the icon and ends run(). */
  stop(): void {
    this.finish?.();
  }

  /** Re-reads everything and updates the icon; concurrent calls coalesce into one more pass. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        const model = await this.model();
        if (!this.host) return;
        await this.host.render(model).catch(() => {});
        this.emitRender(model);
      } while (this.again);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async model(): Promise<TrayModel> {
    const now = this.deps.clock.now();
    let state: DaemonState | null = null;
    let stateError: string | null = null;
    try {
      this.settings = await this.deps.loadSettings();
    } catch (error) {
      stateError = `settings: ${describeError(error).message}`;
    }
    try {
      state = await readStateFile(this.deps.stateDir);
    } catch (error) {
      stateError ??= describeError(error).message;
    }
    const pausedUntil = await readPauseUntil(this.deps.stateDir, now);
    return buildTrayModel({
      now,
      state,
      stateError,
      watch: this.settings.watch,
      warnDays: (profile) => this.settings.warnDays(profile),
      pausedUntil,
      rotation: this.rotation,
      lastRotation: this.lastRotation,
      timeZone: this.deps.timeZone,
    });
  }

  private onClick(item: TrayMenuItem): void {
    const action = item.action;
    if (!action) return;
    this.emit({ event: 'click', key: item.key, action: action.type });
    switch (action.type) {
      case 'rotate':
        this.track(this.rotate(action.profile));
        return;
      case 'open-log':
        this.track(this.openLog());
        return;
      case 'pause':
        this.track(this.pause(true));
        return;
      case 'resume':
        this.track(this.pause(false));
        return;
      case 'quit':
        this.stop();
        return;
    }
  }

  private async rotate(profile: string): Promise<void> {
    if (this.rotation) return; // one at a time; the menu item is disabled meanwhile
    this.rotation = { profile };
    this.emit({ event: 'rotation-started', profile });
    await this.refresh();
    const run = await this.deps.rotate(profile, (line) => {
      if (!this.rotation) return;
      this.rotation = { profile, step: line.replace(/^keyrot \w+: /, '') };
      void this.refresh();
    });
    this.rotation = null;
    this.lastRotation = { profile, ok: run.ok, message: run.message, at: this.deps.clock.now() };
    this.emit({
      event: 'rotation-finished',
      profile,
      ok: run.ok,
      exitCode: run.exitCode,
      message: run.message,
    });
    await this.refresh();
    await this.deps.notifier.notify(notificationFor(run));
  }

  private async openLog(): Promise<void> {
    // Before the daemon's first line there is no file yet: open its folder instead.
    const target = await access(this.deps.logFile).then(
      () => this.deps.logFile,
      () => path.dirname(this.deps.logFile),
    );
    const opened = await this.deps.openPath(target);
    if (!opened) {
      await this.deps.notifier.notify({
        title: 'keyrot: cannot open the log',
        body: `No program to open it was found; the log is ${this.deps.logFile}`,
      });
    }
  }

  private async pause(on: boolean): Promise<void> {
    try {
      if (on) await writePauseUntil(this.deps.stateDir, new Date(this.deps.clock.now().getTime() + PAUSE_MS));
      else await clearPause(this.deps.stateDir);
      this.emit({ event: on ? 'paused' : 'resumed' });
    } catch (error) {
      await this.deps.notifier.notify({ title: 'keyrot', body: describeError(error).message });
    }
    await this.refresh();
  }

  private track(task: Promise<unknown>): void {
    const guarded = task.catch((error) =>
      this.emit({ event: 'error', message: describeError(error).message }),
    );
    this.tasks.add(guarded);
    void guarded.finally(() => this.tasks.delete(guarded));
  }

  private async shutdown(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
    const host = this.host;
    this.host = null;
    await host?.close();
    this.emit({ event: 'stopped' });
  }

  private emitRender(model: TrayModel): void {
    if (!this.deps.events) return;
    const titles = (items: TrayMenuItem[]): unknown[] =>
      items
        .filter((item) => !item.separator && !item.hidden)
        .map((item) => (item.items ? { title: item.title, items: titles(item.items) } : item.title));
    this.emit({ event: 'render', icon: model.icon, tooltip: model.tooltip, items: titles(model.items) });
  }

  private emit(event: Record<string, unknown>): void {
    this.deps.events?.(event);
  }
}

/** The same words the daemon uses (src/notify), so a tray rotation reads like a scheduled one. */
export function notificationFor(run: RotationRun): Notification {
  if (!run.ok) return failedMessage({ profile: run.profile, reason: run.message });
  if (!run.keys) {
    return {
      title: `keyrot: rotated ${run.profile}`,
      body: `Profile ${run.profile}: ${run.message}`,
      urgency: 'low',
    };
  }
  const { oldKeyAction } = run.keys;
  return rotatedMessage({
    profile: run.profile,
    oldKeyId: run.keys.oldKeyId,
    newKeyId: run.keys.newKeyId,
    oldKeyAction: oldKeyAction === 'deactivated' || oldKeyAction === 'deleted' ? oldKeyAction : 'kept',
    activeUntil: run.keys.oldKeyActiveUntil,
  });
}
