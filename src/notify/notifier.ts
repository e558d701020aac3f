// Desktop notifications through node-notifier (notify-send on Linux, Notification Center on macOS,
// toasts on Windows). A notification is a courtesy: it never throws and never delays a rotation
// for long, and its text passes through redaction one last time before it leaves the process.
import { redactText } from '../errors/redact.js';
import type { Logger } from '../log/logger.js';

/** How loud a notification is (notify-send's urgency; ignored where the OS has no such notion). */
export type Urgency = 'low' | 'normal' | 'critical';

/** One desktop notification. */
export interface Notification {
  title: string;
  body: string;
  urgency?: Urgency;
}

/** The notification port the daemon and the tray send through; resolves once the OS took it (or failed). */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

/** Delivers one notification or rejects; the real one wraps node-notifier. */
export type SendNotification = (notification: Notification) => Promise<void>;

/** Options of createNotifier. */
export interface NotifierOptions {
  /** `notify = false` in config.ini turns notifications off. */
  enabled: boolean;
  logger: Logger;
  /** Replaces node-notifier (for fault injection in tests). */
  send?: SendNotification;
  /** Give up waiting for the OS after this long (default 10 s); the notification may still appear. */
  timeoutMs?: number;
}

/** Creates the notifier; disabled, it only logs at debug level what it would have shown. */
export function createNotifier(options: NotifierOptions): Notifier {
  const send = options.send ?? sendWithNodeNotifier;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async notify(notification) {
      const safe: Notification = {
        title: redactText(notification.title),
        body: redactText(notification.body),
        urgency: notification.urgency ?? 'normal',
      };
      if (!options.enabled) {
        options.logger.debug('notification skipped (notify = false)', { title: safe.title });
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer after ${timeoutMs} ms`)), timeoutMs);
          timer.unref();
        });
        await Promise.race([Promise.resolve().then(() => send(safe)), timeout]);
        options.logger.debug('notification shown', { title: safe.title });
      } catch (error) {
        options.logger.warn('could not show a desktop notification', { title: safe.title, error });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A notifier that shows nothing (tests, `--json` runs). */
export const silentNotifier: Notifier = { notify: async () => {} };

/**
 * The options node-notifier gets on `platform`. Each backend turns unknown options into command-line
 * flags of its own tool, so each gets only its own: notify-send's urgency and app name; on macOS
 * `timeout: false`, without which node-notifier has terminal-notifier wait 10 s (`-timeout 10`) before it
 * returns, as long as keyrot's own patience; on Windows keyrot's application id, once registered.
 */
export function nodeNotifierOptions(
  notification: Notification,
  platform: NodeJS.Platform,
  windowsAppId?: string,
): Record<string, unknown> {
  const base = { title: notification.title, message: notification.body, wait: false };
  if (platform === 'linux' || platform.endsWith('bsd')) {
    return { ...base, urgency: notification.urgency ?? 'normal', 'app-name': 'keyrot' };
  }
  if (platform === 'darwin') return { ...base, timeout: false };
  if (platform === 'win32' && windowsAppId) return { ...base, appID: windowsAppId };
  return base;
}

/** What createNodeNotifierSend needs (this machine's by default). */
export interface NodeNotifierSendDeps {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/**
 * The real delivery: node-notifier, loaded only when the first notification is sent; on a Mac where its
 * terminal-notifier cannot run, osascript (src/notify/mac-notifications.ts).
 */
export function createNodeNotifierSend(deps: NodeNotifierSendDeps = {}): SendNotification {
  const platform = deps.platform ?? process.platform;
  const env = deps.env ?? process.env;
  // Decided once per process: the CPU and the installed programs do not change under it.
  let route: Promise<import('./mac-notifications.js').MacRoute> | undefined;
  return async (notification) => {
    if (platform === 'darwin') {
      const mac = await import('./mac-notifications.js');
      route ??= mac.macRoute();
      if ((await route).via === 'osascript') return mac.notifyWithOsascript(notification);
    }
    let appId: string | undefined;
    if (platform === 'win32') {
      const windows = await import('./windows-app-id.js');
      if (await windows.appIdRegistered(env)) appId = windows.KEYROT_APP_ID;
    }
    const { default: notifier } = await import('node-notifier');
    try {
      await new Promise<void>((resolve, reject) => {
        notifier.notify(nodeNotifierOptions(notification, platform, appId), (error: Error | null) =>
          error ? reject(error) : resolve(),
        );
      });
    } catch (error) {
      // terminal-notifier did not start at all (a string code such as ENOENT or "Bad CPU type", not an
      // exit status): osascript still can.
      const code = (error as { code?: unknown }).code;
      if (platform !== 'darwin' || typeof code !== 'string') throw error;
      const mac = await import('./mac-notifications.js');
      await mac.notifyWithOsascript(notification);
    }
  };
}

/** The real delivery on this machine (see createNodeNotifierSend). */
export const sendWithNodeNotifier: SendNotification = createNodeNotifierSend();
