// The ways a D-Bus call fails, as distinct types so the store can tell a slow Secret Service from a
// missing bus, a restarted service or a refusal.

/** The service answered the call with a D-Bus error reply (`name` is the D-Bus error name). */
export class DbusErrorReply extends Error {
  override readonly name = 'DbusErrorReply';

  /** @param errorName e.g. `org.freedesktop.Secret.Error.IsLocked`; @param text the service's own words. */
  constructor(
    readonly errorName: string,
    text: string,
    readonly member: string,
  ) {
    super(`${member}: ${errorName}${text ? `: ${text}` : ''}`);
  }
}

/** No reply came within the call's timeout (the service may still act on it later). */
export class DbusNoReply extends Error {
  override readonly name = 'DbusNoReply';

  /** @param member the method that got no reply; @param timeoutMs how long it waited. */
  constructor(member: string, timeoutMs: number) {
    super(`${member}: org.freedesktop.DBus.Error.NoReply: no reply within ${timeoutMs} ms`);
  }
}

/** The bus cannot be reached: no address, no socket, the handshake failed, or the connection closed. */
export class DbusUnreachable extends Error {
  override readonly name = 'DbusUnreachable';
}

/** D-Bus error names that mean the call timed out rather than failed. */
const NO_REPLY_NAMES = new Set([
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.Timeout',
  'org.freedesktop.DBus.Error.TimedOut',
]);

/** True for a call that got no answer in time (worth retrying on a busy Secret Service). */
export function isDbusNoReply(error: unknown): boolean {
  return (
    error instanceof DbusNoReply || (error instanceof DbusErrorReply && NO_REPLY_NAMES.has(error.errorName))
  );
}
