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

/** The real delivery: node-notifier, loaded only when the first notification is sent. */
export const sendWithNodeNotifier: SendNotification = async (notification) => {
  const { default: notifier } = await import('node-notifier');
  const linux = process.platform === 'linux' || process.platform.endsWith('bsd');
  await new Promise<void>((resolve, reject) => {
    notifier.notify(
      {
        title: notification.title,
        message: notification.body,
        // notify-send flags only where notify-send is the backend: other backends turn unknown
        // options into command-line flags of their own tools.
        ...(linux ? { urgency: notification.urgency ?? 'normal', 'app-name': 'keyrot' } : {}),
        wait: false,
      },
      (error: Error | null) => (error ? reject(error) : resolve()),
    );
  });
};
