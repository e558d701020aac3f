// The agent's keychain connection: opened on the first request, kept while requests come (each reads
// the keychain anew: no key is kept here), closed once none came for a while, so an idle daemon holds
// no keychain connection (on Linux, no D-Bus connection).
import type { ProcessCredentials } from '../credentials/process-output.js';
import type { ProtectedKeyLookup } from './server.js';

/** How long the keychain connection stays open after the last request. */
export const IDLE_CLOSE_MS = 60_000;

/** An open keychain connection that reads protected keys. */
export interface KeyReader {
  /** The key of `profile` in `configFile`, or null when it has no protected entry. */
  get(profile: string, configFile: string): Promise<ProcessCredentials | null>;
  /** Closes the keychain connection. */
  close(): Promise<void>;
}

/** A lookup over a reader opened on demand and closed after `idleMs` without requests. */
export interface IdleClosingLookup {
  lookup: ProtectedKeyLookup;
  /** Closes the reader now (the daemon stops). */
  close(): Promise<void>;
}

/** Wraps `open` (which loads and opens the keychain) into a lookup that closes it when idle. */
export function idleClosingLookup(
  open: () => Promise<KeyReader>,
  idleMs: number = IDLE_CLOSE_MS,
): IdleClosingLookup {
  let reader: Promise<KeyReader> | undefined;
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  const closeReader = async () => {
    const closing = reader;
    reader = undefined;
    await (await closing?.catch(() => undefined))?.close().catch(() => undefined);
  };
  return {
    async lookup(profile, configFile) {
      clearTimeout(timer);
      pending += 1;
      try {
        reader ??= open();
        const current = reader;
        const opened = await current.catch((error: unknown) => {
          // A reader that could not be opened is opened again by the next request.
          if (reader === current) reader = undefined;
          throw error;
        });
        return await opened.get(profile, configFile);
      } finally {
        pending -= 1;
        if (pending === 0) {
          timer = setTimeout(() => void closeReader(), idleMs);
          timer.unref();
        }
      }
    },
    async close() {
      clearTimeout(timer);
      await closeReader();
    },
  };
}
