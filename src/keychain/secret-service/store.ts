import { KeyrotError } from '../../errors/keyrot-error.js';
import { systemClock } from '../../time/clock.js';
import { withRetry } from '../../time/retry.js';
import { traceSpan } from '../../time/trace.js';
import { LARGE_ENTRY_CHARS } from '../chunked-values.js';
import type { SecretStore } from '../secret-store.js';
import { keychainFailed, secretServiceUnavailable } from '../unavailable.js';
import { sessionBusSocket } from './bus-address.js';
import { BusConnection } from './bus-connection.js';
import { DbusErrorReply, DbusUnreachable, isDbusNoReply } from './dbus-errors.js';
import { generateDhKeyPair } from './dh-key.js';
import { openSecretSession, type SecretSession, variantValue } from './session.js';

const SECRETS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const SERVICE = 'org.freedesktop.Secret.Service';
const COLLECTION = 'org.freedesktop.Secret.Collection';
const ITEM = 'org.freedesktop.Secret.Item';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
// An object path of `/` means "none": no prompt needed, no such alias.
const NONE = '/';
/** Where the Secret Service specification puts the default collection under its alias. */
const DEFAULT_ALIAS = '/org/freedesktop/secrets/aliases/default';

/**
 * How long one D-Bus call may wait for its reply before it counts as timed out (and is retried within
 * the store's patience). Generous: a busy gnome-keyring is slow, and a retry only adds to its work.
 */
export const CALL_TIMEOUT_MS = 5_000;

/**
 * How long a call that timed out on D-Bus is retried. The Secret Service gets a few seconds per D-Bus
 * call, and a gnome-keyring that is busy (it rewrites its whole keyring file on every change) on a
 * loaded machine can take longer: that is a slow keychain, not an unreachable one.
 */
export const NO_REPLY_PATIENCE_MS = 60_000;

/** Retry tuning of the store (tests shorten it). */
export interface OsStorePatience {
  /** Give up retrying timed-out calls after this long (default NO_REPLY_PATIENCE_MS). */
  totalMs?: number;
  /** Waits between attempts (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** D-Bus errors that mean the service we had a session with is gone (gnome-keyring restarted). */
const SERVICE_GONE = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.UnknownObject',
  'org.freedesktop.DBus.Error.UnknownMethod',
  'org.freedesktop.DBus.Error.Disconnected',
  'org.freedesktop.Secret.Error.NoSession',
  'org.freedesktop.Secret.Error.NoSuchObject',
]);

/** Errors of a service that is not there at all (not running, not activatable). */
const NO_SERVICE = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
]);

/** Options of SecretServiceStore (tests point it at a private bus and shorten the waits). */
export interface SecretServiceStoreOptions {
  /** Where DBUS_SESSION_BUS_ADDRESS (or XDG_RUNTIME_DIR/bus) is read, when the store first connects (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Timeout of one D-Bus call (default CALL_TIMEOUT_MS). */
  callTimeoutMs?: number;
  /** How long calls that timed out are retried. */
  patience?: OsStorePatience;
}

/** One bus connection with its Secret Service session. */
interface Connected {
  bus: BusConnection;
  /**
   * The session, opened while the first calls that need none (SearchItems, ReadAlias) are already on
   * their way: each operation awaits it beside them. When it fails the connection is dropped.
   */
  session: Promise<SecretSession>;
  /** The default collection's path, once read. */
  collection?: Promise<string>;
  /** The item path each account had when this connection last wrote or found it (a hint: see read). */
  items: Map<string, string>;
}

/**
 * The Linux OS keychain: the freedesktop Secret Service (gnome-keyring, KeePassXC…) over D-Bus, on one
 * connection and one encrypted session for the life of the store, opened on the first call and opened
 * again once when the service restarts under it. Items are the ones @napi-rs/keyring and
 * `secret-tool lookup service S username U` read: attributes `service` and `username`, in the default
 * collection. Calls on one account run in the order they were made; calls on different accounts overlap.
 */
export class SecretServiceStore implements SecretStore {
  readonly maxEntryChars = LARGE_ENTRY_CHARS;
  private connection: Promise<Connected> | null = null;
  private readonly lanes = new Map<string, Promise<unknown>>();

  /** @param service the keychain service name every entry is filed under (`keyrot` by default). */
  constructor(
    readonly service: string,
    private readonly options: SecretServiceStoreOptions = {},
  ) {}

  async get(account: string): Promise<string | null> {
    return traceSpan(`keychain get ${account}`, () =>
      this.inLane(account, () => this.run((c) => this.read(c, account))),
    );
  }

  async set(account: string, value: string): Promise<void> {
    await traceSpan(`keychain set ${account}`, () =>
      this.inLane(account, () => this.run((c) => this.write(c, account, value))),
    );
  }

  async delete(account: string): Promise<boolean> {
    // An attempt that timed out may have deleted the item; its retry then finds nothing, yet there was one.
    let found = false;
    return traceSpan(`keychain delete ${account}`, () =>
      this.inLane(account, async () => {
        const deleted = await this.run((c) => this.remove(c, account, () => (found = true)));
        return deleted || found;
      }),
    );
  }

  /**
   * Connects, opens the session and checks that the default collection exists and is unlocked: what a
   * write needs, proven without touching the keyring (every write makes gnome-keyring rewrite its whole
   * file). All in the first write on the connection: the collection is asked whether it is locked at
   * its alias path, beside ReadAlias; a service with no object there is asked at the path ReadAlias names.
   */
  async checkWritable(): Promise<void> {
    await this.run(async (c) => {
      const lockedAt = (path: string) => this.call(c, path, PROPERTIES, 'Get', 'ss', [COLLECTION, 'Locked']);
      const collection = this.collectionOf(c);
      const [[isLocked]] = await Promise.all([
        lockedAt(DEFAULT_ALIAS).catch((error: unknown) => {
          if (!(error instanceof DbusErrorReply)) throw error;
          return collection.then(lockedAt);
        }),
        collection,
        c.session,
      ]);
      if (variantValue(isLocked) !== false) throw locked('the default keyring is locked');
    });
  }

  /** Closes the connection (the Secret Service ends the session with it); a later call opens a new one. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    (await connection?.catch(() => null))?.bus.close();
  }

  private async read(c: Connected, account: string): Promise<string | null> {
    const searching = this.search(c, account);
    // The item this connection last wrote or found for the account is asked for its secret right behind
    // the search, without waiting for it: one round trip instead of two. The search stays the authority
    // (gnome-keyring reuses the number of a deleted item): the early answer counts only when the search
    // names that very item, as the one match.
    const hinted = c.items.get(account);
    const early =
      hinted === undefined
        ? undefined
        : c.session.then((session) => this.call(c, hinted, ITEM, 'GetSecret', 'o', [session.path]));
    early?.catch(() => undefined);
    const [items, session] = await Promise.all([searching, c.session]);
    if (items.length !== 1) c.items.delete(account);
    if (items.length === 0) return null;
    if (items.length > 1) throw ambiguous(this.service, account, items.length);
    const item = items[0]!;
    c.items.set(account, item);
    const [secret] =
      early && item === hinted
        ? await early
        : await this.call(c, item, ITEM, 'GetSecret', 'o', [session.path]);
    return session.decode(secret);
  }

  private async write(c: Connected, account: string, value: string): Promise<void> {
    const properties = [
      ['org.freedesktop.Secret.Item.Label', ['s', `keyring:${account}@${this.service}`]],
      [
        'org.freedesktop.Secret.Item.Attributes',
        [
          'a{ss}',
          [
            ['service', this.service],
            ['username', account],
          ],
        ],
      ],
    ];
    const [session, collection] = await Promise.all([c.session, this.collectionOf(c)]);
    const [item, prompt] = await this.call(c, collection, COLLECTION, 'CreateItem', 'a{sv}(oayays)b', [
      properties,
      session.encode(value),
      true,
    ]);
    if (prompt !== NONE) throw locked('creating an item needs a prompt (the keyring is locked)');
    if (typeof item === 'string' && item !== NONE) c.items.set(account, item);
    else c.items.delete(account);
  }

  private async remove(c: Connected, account: string, found: () => void): Promise<boolean> {
    // The session is awaited as by every operation: one that failed drops the connection under it.
    const [items] = await Promise.all([this.search(c, account), c.session]);
    c.items.delete(account);
    for (const item of items) {
      found();
      const [prompt] = await this.call(c, item, ITEM, 'Delete');
      if (prompt !== NONE) throw locked('deleting an item needs a prompt (the keyring is locked)');
    }
    return items.length > 0;
  }

  /** The unlocked items of `account`; KEYCHAIN_UNAVAILABLE when only locked ones match. */
  private async search(c: Connected, account: string): Promise<string[]> {
    const [unlocked, lockedItems] = await this.call(c, SERVICE_PATH, SERVICE, 'SearchItems', 'a{ss}', [
      [
        ['service', this.service],
        ['username', account],
      ],
    ]);
    const open = paths(unlocked);
    if (paths(lockedItems).length > 0) throw locked('the matching item is in a locked keyring');
    return open;
  }

  /** The default collection's path, read once per connection. */
  private collectionOf(c: Connected): Promise<string> {
    if (!c.collection) {
      const reading = this.defaultCollection(c);
      c.collection = reading;
      // Only a found collection is remembered: a call that timed out is made again next time.
      reading.catch(() => {
        if (c.collection === reading) c.collection = undefined;
      });
    }
    return c.collection;
  }

  private async defaultCollection(c: Connected): Promise<string> {
    const [path] = await this.call(c, SERVICE_PATH, SERVICE, 'ReadAlias', 's', ['default']);
    if (typeof path !== 'string' || path === NONE) throw locked('there is no default keyring');
    return path;
  }

  private call(
    c: Connected,
    path: string,
    iface: string,
    member: string,
    signature?: string,
    body?: unknown[],
  ): Promise<unknown[]> {
    return c.bus.call(
      { destination: SECRETS, path, interface: iface, member, signature, body },
      this.options.callTimeoutMs ?? CALL_TIMEOUT_MS,
    );
  }

  /**
   * Runs `op` on the open connection: retried while calls time out (within the patience), and once on
   * a new connection when the one that worked before lost its service or its bus.
   */
  private async run<T>(op: (c: Connected) => Promise<T>): Promise<T> {
    let reopened = false;
    try {
      // A timed-out call may have acted and is made again: what runs here must be safe to repeat.
      const patience = this.options.patience ?? {};
      return await withRetry(
        {
          totalMs: patience.totalMs ?? NO_REPLY_PATIENCE_MS,
          initialMs: 100,
          maxDelayMs: 1_000,
          clock: { now: () => new Date(), sleep: patience.sleep ?? systemClock.sleep },
        },
        async () => {
          for (;;) {
            const existing = this.connection;
            const current = existing ?? this.connect();
            try {
              return await op(await current);
            } catch (error) {
              if (existing === null || reopened || !serviceGone(error)) throw error;
              reopened = true;
              this.drop(current);
            }
          }
        },
        isDbusNoReply,
      );
    } catch (error) {
      throw toKeyrotError(error);
    }
  }

  private connect(): Promise<Connected> {
    const timeoutMs = this.options.callTimeoutMs ?? CALL_TIMEOUT_MS;
    const connecting = (async () => {
      const target = sessionBusSocket(this.options.env ?? process.env);
      if (!target) throw new DbusUnreachable('DBUS_SESSION_BUS_ADDRESS is not set');
      const bus = await BusConnection.open(target, timeoutMs);
      // Made while the bus authenticates us (that and Hello left with the connection).
      const keys = generateDhKeyPair();
      const session = openSecretSession(
        (member, signature, body) =>
          bus.call(
            { destination: SECRETS, path: SERVICE_PATH, interface: SERVICE, member, signature, body },
            timeoutMs,
          ),
        keys,
      );
      // Without a session the connection is of no use: the next attempt opens a new one.
      session.catch(() => this.drop(connecting));
      return { bus, session, items: new Map<string, string>() };
    })();
    this.connection = connecting;
    connecting.catch(() => {
      if (this.connection === connecting) this.connection = null;
    });
    return connecting;
  }

  private drop(connection: Promise<Connected>): void {
    if (this.connection === connection) this.connection = null;
    connection.then(
      (c) => c.bus.close(),
      () => undefined,
    );
  }

  /** Runs `work` after every earlier call on `account` has settled. */
  private inLane<T>(account: string, work: () => Promise<T>): Promise<T> {
    const result = (this.lanes.get(account) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => undefined);
    this.lanes.set(account, tail);
    void tail.then(() => {
      if (this.lanes.get(account) === tail) this.lanes.delete(account);
    });
    return result;
  }
}

function paths(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
}

function serviceGone(error: unknown): boolean {
  return (
    error instanceof DbusUnreachable || (error instanceof DbusErrorReply && SERVICE_GONE.has(error.errorName))
  );
}

function locked(why: string): KeyrotError {
  return secretServiceUnavailable('no-unlocked-keyring', new Error(why));
}

function ambiguous(service: string, account: string, count: number): KeyrotError {
  return new KeyrotError(
    'KEYCHAIN_FAILED',
    `${count} items in the OS keychain match service "${service}", account "${account}"; keyrot cannot tell which is its own`,
    { hint: 'Remove the items keyrot did not write (for example in Seahorse), then run the command again.' },
  );
}

/** The KeyrotError for a failure of the Secret Service or the bus. */
function toKeyrotError(error: unknown): KeyrotError {
  if (error instanceof KeyrotError) return error;
  if (error instanceof DbusUnreachable) return secretServiceUnavailable('no-bus', error);
  if (isDbusNoReply(error)) return secretServiceUnavailable('no-reply', error);
  if (error instanceof DbusErrorReply) {
    if (NO_SERVICE.has(error.errorName) || error.errorName === 'org.freedesktop.Secret.Error.IsLocked') {
      return secretServiceUnavailable('no-unlocked-keyring', error);
    }
  }
  return keychainFailed(error);
}
