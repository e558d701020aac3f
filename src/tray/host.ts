// The systray2 adapter: starts the helper, shows a TrayModel, updates it in place, reports clicks.
// systray2 cannot add or remove menu items after start, so a model with a different menu shape
// restarts the helper; the common case (texts, enabled state, icon) is an in-place update.
import { createRequire } from 'node:module';
import type * as SysTrayModule from 'systray2';
import type { MenuItem as SysTrayItem } from 'systray2';
import { KeyrotError } from '../errors/keyrot-error.js';
import { redactText } from '../errors/redact.js';
import type { TrayHelper } from './helper-binary.js';
import { menuShape, type TrayIconState, type TrayMenuItem, type TrayModel } from './model.js';

/** How long the helper may take to report ready (it never does without a display). */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;

/** Said with every "no tray" error: the person still hears from keyrot. */
export const NOTIFICATIONS_STILL_WORK =
  'the daemon keeps checking your keys and its desktop notifications still work; run `keyrot tray` inside a graphical session that has a system tray';

/** A running tray icon. */
export interface TrayHost {
  /** The helper process id (tests find the icon on D-Bus by it). */
  readonly helperPid: number;
  /** Shows `model`, updating in place when the menu shape is unchanged. */
  render(model: TrayModel): Promise<void>;
  /** Removes the icon and stops the helper. */
  close(): Promise<void>;
  /** Settles when the helper stops by itself: the icon is gone. */
  readonly stopped: Promise<KeyrotError>;
}

/** What startTrayHost needs. */
export interface TrayHostOptions {
  helper: TrayHelper;
  /** The icon file for a state (PNG, or ICO on Windows). */
  iconFile(state: TrayIconState): string;
  /** Called with the model item the person clicked. */
  onClick(item: TrayMenuItem): void;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  readyTimeoutMs?: number;
}

interface Running {
  tray: SysTrayClass;
  pid: number;
  shape: string;
  items: Map<string, { model: TrayMenuItem; item: SysTrayItem }>;
  menu: { icon: TrayIconState; title: string; tooltip: string };
  roots: SysTrayItem[];
  stderr: string[];
}

// systray2 is CommonJS with its class on `default`.
type SysTrayClass = InstanceType<SysTrayConstructor>;
type SysTrayConstructor = (typeof SysTrayModule)['default']['default'];

const require = createRequire(import.meta.url);

function loadSysTray(): SysTrayConstructor {
  return (require('systray2') as { default: SysTrayConstructor }).default;
}

/** Starts the helper showing `model`; throws KeyrotError TRAY_UNAVAILABLE saying why when no tray is possible. */
export async function startTrayHost(model: TrayModel, options: TrayHostOptions): Promise<TrayHost> {
  const platform = options.platform ?? process.platform;
  checkDisplay(options.env, platform);
  let running = await launch(model, options);
  let closing = false;
  let reportStop: (error: KeyrotError) => void = () => {};
  const stopped = new Promise<KeyrotError>((resolve) => {
    reportStop = resolve;
  });
  const watchExit = (current: Running) => {
    current.tray.process.once('exit', (code, signal) => {
      if (closing || running !== current) return;
      reportStop(
        new KeyrotError(
          'TRAY_UNAVAILABLE',
          `the tray icon went away: ${describeExit(code, signal, current.stderr)}`,
          {
            hint: NOTIFICATIONS_STILL_WORK,
          },
        ),
      );
    });
  };
  watchExit(running);
  // One render at a time: updates are a sequence of writes to the helper.
  let queue: Promise<void> = Promise.resolve();

  return {
    get helperPid() {
      return running.pid;
    },
    stopped,
    render(next: TrayModel): Promise<void> {
      queue = queue.then(async () => {
        if (closing) return;
        if (menuShape(next.items) !== running.shape) {
          const old = running;
          running = await launch(next, options);
          watchExit(running);
          await stop(old);
          return;
        }
        await update(running, next, options);
      });
      return queue;
    },
    async close(): Promise<void> {
      closing = true;
      await queue.catch(() => {});
      await stop(running);
    },
  };
}

/** Without a display the helper can only fail: say so at once instead of after a timeout. */
export function checkDisplay(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): void {
  if (platform === 'win32' || platform === 'darwin') return;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
    throw new KeyrotError(
      'TRAY_UNAVAILABLE',
      'cannot show a tray icon: no display (DISPLAY and WAYLAND_DISPLAY are not set)',
      {
        hint: NOTIFICATIONS_STILL_WORK,
      },
    );
  }
}

async function launch(model: TrayModel, options: TrayHostOptions): Promise<Running> {
  const SysTray = loadSysTray();
  const items = new Map<string, { model: TrayMenuItem; item: SysTrayItem }>();
  // Clicks name the systray2 item object; map it to its key, whose model entry updates replace.
  const keyOf = new Map<SysTrayItem, string>();
  const toItem = (entry: TrayMenuItem): SysTrayItem => {
    const item: SysTrayItem = entry.separator
      ? { title: '<SEPARATOR>', tooltip: '', enabled: true }
      : {
          title: entry.title,
          tooltip: '',
          enabled: entry.enabled,
          hidden: entry.hidden ?? false,
          ...(entry.items ? { items: entry.items.map(toItem) } : {}),
        };
    items.set(entry.key, { model: entry, item });
    keyOf.set(item, entry.key);
    return item;
  };
  const roots = model.items.map(toItem);
  const tray = new SysTray({
    menu: { icon: options.iconFile(model.icon), title: model.title, tooltip: model.tooltip, items: roots },
    copyDir: options.helper.copyDir,
  });
  const stderr: string[] = [];
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  let exitEarly: ((error: KeyrotError) => void) | undefined;
  const early = new Promise<never>((_, reject) => {
    exitEarly = reject;
  });
  // systray2 spawns the helper after an async lookup: attach to it as soon as it exists. A check-phase
  // poll (setImmediate) runs before the loop's next I/O phase, so no output or exit of it is missed.
  let polling = true;
  const attach = () => {
    if (!polling) return;
    const child = tray.process;
    if (!child) {
      setImmediate(attach);
      return;
    }
    child.stdin?.on('error', () => {}); // a helper that died must not crash keyrot with EPIPE
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr.push(...text.split('\n').filter((line) => line.trim() !== ''));
      if (stderr.length > 20) stderr.splice(0, stderr.length - 20);
    });
    let reported = false;
    const finish = () => {
      if (reported) return;
      reported = true;
      exitEarly?.(unavailable(describeExit(child.exitCode, child.signalCode, stderr)));
    };
    // 'close' comes after stderr is drained, so the reason is read before it is described.
    child.once('close', finish);
    if (child.exitCode !== null || child.signalCode !== null) {
      // It died before we got here (and 'close' may be gone too): report once stderr is drained.
      const err = child.stderr;
      if (!err || err.destroyed || err.readableEnded) setImmediate(finish);
      else {
        err.once('end', finish);
        err.once('close', finish);
      }
    }
  };
  setImmediate(attach);
  try {
    await Promise.race([
      tray.ready(),
      early,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              unavailable(
                `the tray helper did not report ready within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} (no system tray in this session?)`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    polling = false;
    tray.process?.kill();
    if (error instanceof KeyrotError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw unavailable(`cannot run the tray helper (${code ?? String(error)})`, error);
  } finally {
    clearTimeout(timer);
    exitEarly = undefined;
  }
  polling = false;
  await tray.onClick((event) => {
    const key = keyOf.get(event.item);
    const slot = key === undefined ? undefined : items.get(key);
    if (slot) options.onClick(slot.model);
  });
  return {
    tray,
    pid: tray.process.pid ?? 0,
    shape: menuShape(model.items),
    items,
    menu: { icon: model.icon, title: model.title, tooltip: model.tooltip },
    roots,
    stderr,
  };
}

async function update(running: Running, next: TrayModel, options: TrayHostOptions): Promise<void> {
  const visit = async (entries: TrayMenuItem[]) => {
    for (const entry of entries) {
      const slot = running.items.get(entry.key);
      if (!slot) continue;
      if (entry.items) await visit(entry.items);
      slot.model = entry;
      if (entry.separator) continue;
      const hidden = entry.hidden ?? false;
      const { item } = slot;
      if (item.title === entry.title && item.enabled === entry.enabled && (item.hidden ?? false) === hidden)
        continue;
      item.title = entry.title;
      item.enabled = entry.enabled;
      item.hidden = hidden;
      await running.tray.sendAction({ type: 'update-item', item });
    }
  };
  await visit(next.items);
  const menu = running.menu;
  if (menu.icon !== next.icon || menu.title !== next.title || menu.tooltip !== next.tooltip) {
    running.menu = { icon: next.icon, title: next.title, tooltip: next.tooltip };
    // systray2 swaps an icon path for its base64 content in place: hand it a fresh menu object.
    await running.tray.sendAction({
      type: 'update-menu',
      menu: {
        icon: options.iconFile(next.icon),
        title: next.title,
        tooltip: next.tooltip,
        items: running.roots,
      },
    });
  }
}

async function stop(running: Running): Promise<void> {
  const child = running.tray.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await running.tray.sendAction({ type: 'exit' }).catch(() => {});
  const timer = setTimeout(() => child.kill(), 2_000);
  await gone;
  clearTimeout(timer);
}

/** Turns the helper's exit and stderr into words: no display, no indicator library, or what it said. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null, stderr: string[]): string {
  const text = stderr.join('\n');
  if (/cannot open display/i.test(text)) return 'no display (the tray helper cannot open the X display)';
  const library = text.match(/error while loading shared libraries: ([^:\s]+)/);
  if (library) {
    return `no indicator support (${library[1]} is missing: install libayatana-appindicator3-1 or your distribution's appindicator library)`;
  }
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const said = stderr.find((line) => !/^\s*$/.test(line));
  return `the tray helper exited (${how})${said ? `: ${redactText(said.trim()).slice(0, 200)}` : ''}`;
}

function unavailable(reason: string, cause?: unknown): KeyrotError {
  return new KeyrotError('TRAY_UNAVAILABLE', `cannot show a tray icon: ${reason}`, {
    hint: NOTIFICATIONS_STILL_WORK,
    cause,
  });
}
