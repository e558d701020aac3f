import { randomBytes } from 'node:crypto';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SecretStore } from './secret-store.js';
import {
  type Codec,
  compressedValue,
  type PackedValue,
  rawValue,
  sha256Hex,
  unpackValue,
} from './value-codec.js';

/**
 * Largest stored string per entry that fits every platform. Windows Credential Manager caps a
 * credential at 2,560 bytes and keyring-rs stores the string as UTF-16 (2 bytes a character):
 * 1,000 ASCII characters is 2,000 bytes, with room to spare. Backends may allow more (maxEntryChars).
 */
export const MAX_ENTRY_CHARS = 1000;

/**
 * Largest entry on macOS and Linux. Neither caps an item near this, but gnome-keyring rewrites its
 * whole keyring file on every change, so a 1 MB value in 1,000-character chunks took ~73 s there;
 * in 64 Ki-character chunks it is a handful of writes.
 */
export const LARGE_ENTRY_CHARS = 64 * 1024;

// A chunk entry is an 8-hex-digit checksum prefix followed by base64 (a multiple of 4 characters).
const CHUNK_CHECK_CHARS = 8;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const INDEX_NAME = '~index';
const INLINE_RESERVE = 64;
const NAME = /^[^~\s/][^\u0000-\u001f/]{0,199}$/;

/** Takes an inter-process lock and returns its release (src/lock's acquireLock, when wired). */
export type LockProvider = () => Promise<() => Promise<void>>;

/** Options of ChunkedValueStore. */
export interface ChunkedValueStoreOptions {
  /** Largest string written to one entry (default: the backend's maxEntryChars, else MAX_ENTRY_CHARS). */
  maxEntryChars?: number;
  /** Serialises index updates between processes. */
  lock?: LockProvider;
}

/**
 * What a read or a write saw of one name. A caller that holds a lock keeping every other writer off
 * the name (the rotation's key and user locks, for its journal entry) hands it to its next write of
 * that name, which then does not read the name again.
 */
export interface ValueVersion {
  readonly name: string;
  /** The head entry as seen (null: none); opaque to callers. */
  readonly head: unknown;
}

/** Options of a write (put, delete). */
export interface WriteOptions {
  /** What this caller last read or wrote of the name, still current because it holds a lock on it. */
  replaces?: ValueVersion;
  /**
   * Which other names to take out of the index if this write updates the index anyway and they have no
   * value: names deleted with keepListed go at no extra index write (a listed name without a value only
   * reads as null, so leaving it until then is harmless).
   */
  unlistIfAbsent?: (name: string) => boolean;
  /**
   * Names this caller writes next, listed by this write's index update if it makes one, so that their
   * first writes make none (a listed name without a value reads as null: listing it early is harmless).
   */
  alsoList?: readonly string[];
  /**
   * The name is fresh: chosen at random by this caller and never written, so nobody else writes it and it
   * has no head entry, which is not read. If the index does not list it (not listed ahead with alsoList,
   * or taken out meanwhile as a name without a head), this write lists it.
   */
  fresh?: boolean;
}

/** What a write's index update, if it makes one, does besides listing its name (see WriteOptions). */
export type IndexChanges = Pick<WriteOptions, 'alsoList' | 'unlistIfAbsent'>;

/** The values as one holder of the store's lock sees them: see ChunkedValueStore.locked. */
export interface LockedValues {
  /** The value under `name` as text, or null (read under the lock). */
  get(name: string): Promise<string | null>;
  /** Stores `value` under `name`, as ChunkedValueStore.put does. */
  put(name: string, value: string | Buffer, options?: WriteOptions): Promise<void>;
  /** Removes the value under `name`, as ChunkedValueStore.delete does. */
  delete(name: string, options?: { keepListed?: boolean }): Promise<boolean>;
  /** The names in the index, sorted, optionally by `prefix` (the index is read once per lock). */
  list(prefix?: string): Promise<string[]>;
}

interface ChunkSet {
  gen: string;
  n: number;
}

interface CurrentValue extends ChunkSet {
  z: Codec;
  size: number;
  sha256: string;
  /** The packed value itself (base64) when it fits in the head entry; then there are no chunks (n = 0). */
  d?: string;
}

/** The head entry of a value: which chunk generation is live, and which are left to delete. */
interface Head {
  v: 1;
  cur?: CurrentValue;
  junk?: ChunkSet[];
}

/**
 * What one holder of the lock (or one unlocked read) has seen: head entries by name (null: there is
 * none; an unreadable head is never kept), and the index. While the lock is held nobody else writes, so
 * each is read at most once; the next holder starts afresh, since other processes may have written since.
 */
interface Seen {
  heads: Map<string, Head | null>;
  index?: { names: string[]; head: Head | null };
}

/**
 * Named string values on top of a SecretStore: kept in their head entry as they are when they fit,
 * else compressed and split into entries that fit every platform; checksummed (SHA-256, checked on
 * every read) and listed through an index entry.
 *
 * A write puts its chunks under a new generation and only then flips the head entry to it, so a crash
 * at any point leaves either the old value or the new one readable — never a mix. Chunks a crash left
 * behind are recorded in the head as junk and deleted by the next write or delete of that name.
 *
 * A name is listed before its head entry is first written (perhaps ahead, by the index update of another
 * write: WriteOptions.alsoList) and unlisted only once its head entry is gone,
 * so a head with a value means a listed name (a write over it leaves the index alone), under the lock a
 * listed name without a head entry is no write in progress (it may be unlisted), and a name the index
 * read under the lock does not list has no head entry (it is not read).
 */
export class ChunkedValueStore {
  private readonly maxEntryChars: number;
  private readonly chunkBytes: number;
  private queue: Promise<unknown> = Promise.resolve();

  /** @param store the raw backend every entry goes to. */
  constructor(
    readonly store: SecretStore,
    private readonly options: ChunkedValueStoreOptions = {},
  ) {
    this.maxEntryChars = options.maxEntryChars ?? store.maxEntryChars ?? MAX_ENTRY_CHARS;
    const base64Chars = Math.floor((this.maxEntryChars - CHUNK_CHECK_CHARS) / 4) * 4;
    this.chunkBytes = (base64Chars / 4) * 3;
    if (this.chunkBytes < 3) throw new RangeError('maxEntryChars is too small');
  }

  /** The value stored under `name` as text, or null; throws KEYCHAIN_CORRUPT rather than return wrong data. */
  async get(name: string): Promise<string | null> {
    return (await this.getBytes(name))?.toString('utf8') ?? null;
  }

  /** The value stored under `name` as the bytes stored, or null (a text value reads as its UTF-8 bytes). */
  async getBytes(name: string): Promise<Buffer | null> {
    return (await this.read(name)).value;
  }

  /** The value under `name` as text, and the version read (for a later write with `replaces`). */
  async getVersioned(name: string): Promise<{ value: string | null; version: ValueVersion }> {
    const { value, version } = await this.read(name);
    return { value: value?.toString('utf8') ?? null, version };
  }

  /**
   * Stores `value` (text as UTF-8, or bytes as they are) under `name`; durable in the backend on return.
   * Returns the version written.
   */
  async put(name: string, value: string | Buffer, options: WriteOptions = {}): Promise<ValueVersion> {
    checkWrite(name, options);
    return this.exclusive(async (seen) => {
      this.trust(seen, options, name);
      await this.write(name, value, true, seen, options);
      return { name, head: seen.heads.get(name) ?? null };
    });
  }

  /** Reads, transforms and writes one value under the store's lock (read-modify-write without lost updates). */
  async update(name: string, change: (current: string | null) => string | null): Promise<void> {
    checkName(name);
    await this.exclusive(async (seen) => {
      // One read of the head serves both the value and the write that replaces it (under the lock).
      const next = change(await this.readText(name, seen));
      if (next === null) await this.remove(name, true, seen);
      else await this.write(name, next, true, seen);
    });
  }

  /**
   * Removes the value under `name` and all its chunks; true when there was a value. With `keepListed`
   * the name stays in the index (two index round trips fewer): a listed name without a value reads as
   * null, and a later index update that passes `unlistIfAbsent` takes it out.
   */
  async delete(
    name: string,
    options: { keepListed?: boolean; replaces?: ValueVersion } = {},
  ): Promise<boolean> {
    checkName(name);
    return this.exclusive((seen) => {
      this.trust(seen, options, name);
      return this.remove(name, !options.keepListed, seen);
    });
  }

  /** Resolves once every write, delete and locked hold already queued on this store has settled. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** The names in the index (values, or names deleted with keepListed), sorted, optionally by `prefix`. */
  async list(prefix = ''): Promise<string[]> {
    const { names } = await this.readIndex(newSeen());
    return names.filter((name) => name.startsWith(prefix));
  }

  /**
   * Runs `work` under the store's lock, with a view that reads and writes without taking it again: a
   * read-modify-write of several values (a backup and its catalog) sees each head and the index once.
   * `work` must use the view, not this store (whose calls wait for the lock it holds).
   */
  async locked<T>(work: (values: LockedValues) => Promise<T>): Promise<T> {
    return this.exclusive((seen) =>
      work({
        get: async (name) => {
          checkName(name);
          return this.readText(name, seen);
        },
        put: async (name, value, options = {}) => {
          checkWrite(name, options);
          this.trust(seen, options, name);
          await this.write(name, value, true, seen, options);
        },
        delete: async (name, options = {}) => {
          checkName(name);
          return this.remove(name, !options.keepListed, seen);
        },
        list: async (prefix = '') =>
          (await this.readIndex(seen)).names.filter((name) => name.startsWith(prefix)),
      }),
    );
  }

  private async read(name: string): Promise<{ value: Buffer | null; version: ValueVersion }> {
    checkName(name);
    const head = await this.readHead(name, newSeen());
    return { value: await this.decode(name, head), version: { name, head } };
  }

  // The value of `name` as text, its head read at most once for this holder of the lock.
  private async readText(name: string, seen: Seen): Promise<string | null> {
    return (await this.decode(name, await this.readHead(name, seen)))?.toString('utf8') ?? null;
  }

  // A caller's version of `name` is as good as a read under this lock: it holds a lock on the name. A
  // fresh name has no head: only its caller writes it, and it has not yet.
  private trust(seen: Seen, options: Pick<WriteOptions, 'replaces' | 'fresh'>, name: string): void {
    const version = options.replaces;
    if (options.fresh) seen.heads.set(name, null);
    else if (version && version.name === name) seen.heads.set(name, version.head as Head | null);
  }

  private async decode(name: string, head: Head | null): Promise<Buffer | null> {
    if (!head?.cur) return null;
    const { cur } = head;
    const parts: Buffer[] = cur.d === undefined ? [] : [Buffer.from(cur.d, 'base64')];
    for (let i = 0; i < cur.n; i++) {
      const entry = await this.store.get(chunkAccount(name, cur.gen, i));
      if (entry === null) throw corrupt(name, `chunk ${i + 1} of ${cur.n} is missing`);
      const check = entry.slice(0, CHUNK_CHECK_CHARS);
      const body = entry.slice(CHUNK_CHECK_CHARS);
      if (!BASE64.test(body) || sha256Hex(body).slice(0, CHUNK_CHECK_CHARS) !== check) {
        throw corrupt(name, `chunk ${i + 1} of ${cur.n} fails its checksum`);
      }
      parts.push(Buffer.from(body, 'base64'));
    }
    const packed: PackedValue = {
      codec: cur.z,
      payload: Buffer.concat(parts),
      size: cur.size,
      sha256: cur.sha256,
    };
    const value = unpackValue(packed);
    if (value === null) throw corrupt(name, 'its SHA-256 checksum does not match');
    return value;
  }

  // `changes`: see WriteOptions.
  private async write(
    name: string,
    value: string | Buffer,
    indexed: boolean,
    seen: Seen,
    changes: IndexChanges = {},
  ): Promise<void> {
    const before = await this.readHeadForWrite(name, seen);
    // A head with a value means the name is listed already: the index is left alone.
    const list = indexed && !before?.cur;
    const previous = [
      ...(before?.junk ?? []),
      ...(before?.cur && before.cur.n > 0 ? [chunkSet(before.cur)] : []),
    ];
    // Small values (nearly all: journal entries, catalogs, credentials files) live in the head entry
    // itself, so one entry write is both the data and the commit point: far fewer keychain round trips.
    // The reserve keeps room for the one junk record a later, chunked write adds beside an inline value.
    const inlineHead = (packed: PackedValue): Head | null => {
      if ((packed.payload.length * 4) / 3 > this.maxEntryChars) return null;
      const cur: CurrentValue = {
        gen: 'inline',
        n: 0,
        z: packed.codec,
        size: packed.size,
        sha256: packed.sha256,
        d: packed.payload.toString('base64'),
      };
      const head: Head = { v: 1, cur, junk: previous };
      return JSON.stringify(head).length <= this.maxEntryChars - INLINE_RESERVE ? head : null;
    };
    // A value that fits as it is is stored as it is: compressing it would save no entry write.
    const raw = rawValue(value);
    let inline = inlineHead(raw);
    const packed = inline ? raw : compressedValue(raw);
    inline ??= inlineHead(packed);
    if (inline) {
      if (list) await this.addToIndex(name, seen, changes);
      await this.writeHead(name, inline, seen);
      if (previous.length > 0) await this.dropJunk(name, inline, seen);
      return;
    }

    const base64 = packed.payload.toString('base64');
    const base64PerChunk = (this.chunkBytes / 3) * 4;
    const chunks: string[] = [];
    for (let at = 0; at < base64.length || chunks.length === 0; at += base64PerChunk) {
      const body = base64.slice(at, at + base64PerChunk);
      chunks.push(sha256Hex(body).slice(0, CHUNK_CHECK_CHARS) + body);
    }
    const gen = randomBytes(4).toString('hex');
    const next: CurrentValue = {
      gen,
      n: chunks.length,
      z: packed.codec,
      size: packed.size,
      sha256: packed.sha256,
    };

    // 1. List the name before its head is written, so a listing never misses a live value and an
    // unlisted name has no head entry at all.
    if (list) await this.addToIndex(name, seen, changes);
    await this.dropJunk(name, before, seen);
    // 2. Record the new generation as junk-to-be, so a crash while writing its chunks leaks nothing.
    await this.writeHead(name, { v: 1, cur: before?.cur, junk: [{ gen, n: chunks.length }] }, seen);
    // 3. The chunks, under the new generation: the live value is untouched.
    for (const [i, chunk] of chunks.entries()) await this.store.set(chunkAccount(name, gen, i), chunk);
    // 4. The commit point: one entry write flips readers to the new generation.
    const old = before?.cur && before.cur.n > 0 ? [chunkSet(before.cur)] : [];
    await this.writeHead(name, { v: 1, cur: next, junk: old }, seen);
    // 5. The old generation is garbage now.
    if (old.length > 0) await this.dropJunk(name, { v: 1, cur: next, junk: old }, seen);
  }

  private async remove(name: string, indexed: boolean, seen: Seen): Promise<boolean> {
    const before = await this.readHeadForWrite(name, seen);
    const existed = Boolean(before?.cur);
    if (before) {
      const junk = [
        ...(before.junk ?? []),
        ...(before.cur && before.cur.n > 0 ? [chunkSet(before.cur)] : []),
      ];
      // The commit point: from here on the value reads as absent; the chunks are only garbage.
      if (before.cur && junk.length > 0) await this.writeHead(name, { v: 1, junk }, seen);
      for (const set of junk) await this.deleteChunks(name, set);
      await this.deleteHead(name, seen);
    }
    if (indexed) await this.removeFromIndex(name, seen);
    return existed;
  }

  private async dropJunk(name: string, head: Head | null, seen: Seen): Promise<void> {
    if (!head?.junk?.length) return;
    for (const set of head.junk) await this.deleteChunks(name, set);
    await this.writeHead(name, { v: 1, cur: head.cur }, seen);
  }

  private async deleteChunks(name: string, set: ChunkSet): Promise<void> {
    for (let i = 0; i < set.n; i++) await this.store.delete(chunkAccount(name, set.gen, i));
  }

  private async readHead(name: string, seen: Seen): Promise<Head | null> {
    if (seen.heads.has(name)) return seen.heads.get(name)!;
    if (unlisted(name, seen)) return null;
    const text = await this.store.get(headAccount(name));
    const head = text === null ? null : parseHead(text);
    if (text !== null && !head) throw corrupt(name, 'its head entry is unreadable');
    seen.heads.set(name, head);
    return head;
  }

  // A write replaces whatever is there: an unreadable head is overwritten (its chunks cannot be found).
  private async readHeadForWrite(name: string, seen: Seen): Promise<Head | null> {
    if (seen.heads.has(name)) return seen.heads.get(name)!;
    if (unlisted(name, seen)) return null;
    const text = await this.store.get(headAccount(name));
    const head = text === null ? null : parseHead(text);
    if (text === null || head) seen.heads.set(name, head);
    return head;
  }

  private async writeHead(name: string, head: Head, seen: Seen): Promise<void> {
    const text = JSON.stringify(head);
    if (text.length > this.maxEntryChars)
      throw new KeyrotError('INTERNAL', `head entry of "${name}" too large`);
    // A failed write may have landed or not: what is there is read again next time.
    seen.heads.delete(name);
    await this.store.set(headAccount(name), text);
    seen.heads.set(name, head);
  }

  private async deleteHead(name: string, seen: Seen): Promise<void> {
    seen.heads.delete(name);
    await this.store.delete(headAccount(name));
    seen.heads.set(name, null);
  }

  // The index's names and its head entry (so an update writes without reading the head twice), read
  // once per holder of the lock.
  private async readIndex(seen: Seen): Promise<{ names: string[]; head: Head | null }> {
    if (seen.index) return seen.index;
    const head = await this.readHead(INDEX_NAME, seen);
    const bytes = await this.decode(INDEX_NAME, head);
    const names: unknown = bytes === null ? [] : safeJson(bytes.toString('utf8'));
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw corrupt(INDEX_NAME, 'it is not a list of names');
    }
    seen.index = { names: names as string[], head };
    return seen.index;
  }

  private async addToIndex(name: string, seen: Seen, changes: IndexChanges): Promise<void> {
    const { names } = await this.readIndex(seen);
    if (names.includes(name)) return;
    const also = changes.alsoList ?? [];
    // Under the lock a listed name without a head entry is no write in progress: it may go. The heads
    // of the names that may go are read together (their round trips overlap).
    const candidates = names.filter((other) => !also.includes(other) && changes.unlistIfAbsent?.(other));
    await Promise.all(candidates.map((other) => this.readHeadForWrite(other, seen)));
    const gone = new Set(candidates.filter((other) => seen.heads.get(other) === null));
    const kept = names.filter((other) => !gone.has(other));
    await this.writeIndex([...new Set([...kept, name, ...also])].sort(), seen);
  }

  private async removeFromIndex(name: string, seen: Seen): Promise<void> {
    const { names } = await this.readIndex(seen);
    if (!names.includes(name)) return;
    await this.writeIndex(
      names.filter((n) => n !== name),
      seen,
    );
  }

  private async writeIndex(names: string[], seen: Seen): Promise<void> {
    seen.index = undefined;
    await this.write(INDEX_NAME, JSON.stringify(names), false, seen);
    seen.index = { names, head: seen.heads.get(INDEX_NAME) ?? null };
  }

  // One writer at a time: in this process through a queue, between processes through the lock. Each
  // holder sees the keychain afresh (other processes may have written since the last one).
  private exclusive<T>(task: (seen: Seen) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const release = this.options.lock ? await this.options.lock() : undefined;
      try {
        return await task(newSeen());
      } finally {
        await release?.();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function newSeen(): Seen {
  return { heads: new Map() };
}

// Under the lock, a name the index read in this hold does not list has no head entry: it needs no read.
function unlisted(name: string, seen: Seen): boolean {
  if (!seen.index || name === INDEX_NAME || seen.index.names.includes(name)) return false;
  seen.heads.set(name, null);
  return true;
}

function chunkSet(value: ChunkSet): ChunkSet {
  return { gen: value.gen, n: value.n };
}

function headAccount(name: string): string {
  return `h/${name}`;
}

function chunkAccount(name: string, gen: string, index: number): string {
  return `c/${name}/${gen}/${index}`;
}

function checkWrite(name: string, options: WriteOptions): void {
  checkName(name);
  for (const also of options.alsoList ?? []) checkName(also);
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new KeyrotError('INTERNAL', `invalid keychain value name ${JSON.stringify(name)}`);
}

function corrupt(name: string, why: string): KeyrotError {
  return new KeyrotError('KEYCHAIN_CORRUPT', `the keychain value "${name}" is corrupt: ${why}`, {
    hint: 'keyrot never uses damaged data: another program may have changed or removed keychain entries of this service.',
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseHead(text: string): Head | null {
  const head = safeJson(text) as Head | undefined;
  if (!head || typeof head !== 'object' || head.v !== 1) return null;
  const isSet = (set: unknown): set is ChunkSet =>
    typeof set === 'object' &&
    set !== null &&
    typeof (set as ChunkSet).gen === 'string' &&
    /^[A-Za-z0-9]{1,32}$/.test((set as ChunkSet).gen) &&
    Number.isInteger((set as ChunkSet).n) &&
    (set as ChunkSet).n >= 0;
  if (head.junk !== undefined && !(Array.isArray(head.junk) && head.junk.every(isSet))) return null;
  const cur = head.cur;
  if (cur !== undefined) {
    if (!isSet(cur)) return null;
    const inline = cur.d !== undefined;
    if (inline ? cur.n !== 0 || typeof cur.d !== 'string' || !BASE64.test(cur.d) : cur.n < 1) return null;
    if (
      (cur.z !== 'br' && cur.z !== 'raw') ||
      !Number.isInteger(cur.size) ||
      !/^[0-9a-f]{64}$/.test(cur.sha256)
    ) {
      return null;
    }
  }
  return head;
}
