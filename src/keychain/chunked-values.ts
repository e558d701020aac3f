import { randomBytes } from 'node:crypto';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SecretStore } from './secret-store.js';
import { type Codec, type PackedValue, packValue, sha256Hex, unpackValue } from './value-codec.js';

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
 * Named string values on top of a SecretStore: compressed, split into entries that fit every
 * platform, checksummed (SHA-256, checked on every read), and listed through an index entry.
 *
 * A write puts its chunks under a new generation and only then flips the head entry to it, so a crash
 * at any point leaves either the old value or the new one readable — never a mix. Chunks a crash left
 * behind are recorded in the head as junk and deleted by the next write or delete of that name.
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
    checkName(name);
    return this.decode(name, await this.readHead(name));
  }

  /** Stores `value` (text as UTF-8, or bytes as they are) under `name`; durable in the backend on return. */
  async put(name: string, value: string | Buffer): Promise<void> {
    checkName(name);
    await this.exclusive(() => this.write(name, value, true));
  }

  /** Reads, transforms and writes one value under the store's lock (read-modify-write without lost updates). */
  async update(name: string, change: (current: string | null) => string | null): Promise<void> {
    checkName(name);
    await this.exclusive(async () => {
      // One read of the head serves both the value and the write that replaces it (under the lock).
      const head = await this.readHead(name);
      const next = change((await this.decode(name, head))?.toString('utf8') ?? null);
      if (next === null) await this.remove(name, true);
      else await this.write(name, next, true, head);
    });
  }

  /**
   * Removes the value under `name` and all its chunks; true when there was a value. With `keepListed`
   * the name stays in the index: for a name that is written again and again (a profile's journal), that
   * saves two index round trips each time, and a listed name without a value just reads as null.
   */
  async delete(name: string, options: { keepListed?: boolean } = {}): Promise<boolean> {
    checkName(name);
    return this.exclusive(() => this.remove(name, !options.keepListed));
  }

  /** The names in the index (values, or names deleted with keepListed), sorted, optionally by `prefix`. */
  async list(prefix = ''): Promise<string[]> {
    const names = await this.readIndex();
    return names.filter((name) => name.startsWith(prefix));
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

  // `known`: the head as just read under the same lock, which saves reading it again.
  private async write(
    name: string,
    value: string | Buffer,
    indexed: boolean,
    known?: Head | null,
  ): Promise<void> {
    const packed = packValue(value);
    const base64 = packed.payload.toString('base64');
    const base64PerChunk = (this.chunkBytes / 3) * 4;
    const chunks: string[] = [];
    for (let at = 0; at < base64.length || chunks.length === 0; at += base64PerChunk) {
      const body = base64.slice(at, at + base64PerChunk);
      chunks.push(sha256Hex(body).slice(0, CHUNK_CHECK_CHARS) + body);
    }
    const before = known !== undefined ? known : await this.readHeadForWrite(name);
    const previous = [
      ...(before?.junk ?? []),
      ...(before?.cur && before.cur.n > 0 ? [chunkSet(before.cur)] : []),
    ];
    const inline: CurrentValue = {
      gen: 'inline',
      n: 0,
      z: packed.codec,
      size: packed.size,
      sha256: packed.sha256,
      d: base64,
    };
    // Small values (nearly all: journal entries, catalogs, credentials files) live in the head entry
    // itself, so one entry write is both the data and the commit point: far fewer keychain round trips.
    // The reserve keeps room for the one junk record a later, chunked write adds beside an inline value.
    if (JSON.stringify({ v: 1, cur: inline, junk: previous }).length <= this.maxEntryChars - INLINE_RESERVE) {
      if (indexed) await this.addToIndex(name);
      await this.writeHead(name, { v: 1, cur: inline, junk: previous });
      if (previous.length > 0) await this.dropJunk(name, { v: 1, cur: inline, junk: previous });
      return;
    }

    const gen = randomBytes(4).toString('hex');
    const next: CurrentValue = {
      gen,
      n: chunks.length,
      z: packed.codec,
      size: packed.size,
      sha256: packed.sha256,
    };

    await this.dropJunk(name, before);
    // 1. Record the new generation as junk-to-be, so a crash while writing its chunks leaks nothing.
    await this.writeHead(name, { v: 1, cur: before?.cur, junk: [{ gen, n: chunks.length }] });
    // 2. The chunks, under the new generation: the live value is untouched.
    for (const [i, chunk] of chunks.entries()) await this.store.set(chunkAccount(name, gen, i), chunk);
    // 3. List the name before it becomes readable, so a listing never misses a live value.
    if (indexed) await this.addToIndex(name);
    // 4. The commit point: one entry write flips readers to the new generation.
    const old = before?.cur && before.cur.n > 0 ? [chunkSet(before.cur)] : [];
    await this.writeHead(name, { v: 1, cur: next, junk: old });
    // 5. The old generation is garbage now.
    if (old.length > 0) await this.dropJunk(name, { v: 1, cur: next, junk: old });
  }

  private async remove(name: string, indexed: boolean): Promise<boolean> {
    const before = await this.readHeadForWrite(name);
    const existed = Boolean(before?.cur);
    if (before) {
      const junk = [
        ...(before.junk ?? []),
        ...(before.cur && before.cur.n > 0 ? [chunkSet(before.cur)] : []),
      ];
      // The commit point: from here on the value reads as absent; the chunks are only garbage.
      if (before.cur && junk.length > 0) await this.writeHead(name, { v: 1, junk });
      for (const set of junk) await this.deleteChunks(name, set);
      await this.store.delete(headAccount(name));
    }
    if (indexed) await this.removeFromIndex(name);
    return existed;
  }

  private async dropJunk(name: string, head: Head | null): Promise<void> {
    if (!head?.junk?.length) return;
    for (const set of head.junk) await this.deleteChunks(name, set);
    await this.writeHead(name, { v: 1, cur: head.cur });
  }

  private async deleteChunks(name: string, set: ChunkSet): Promise<void> {
    for (let i = 0; i < set.n; i++) await this.store.delete(chunkAccount(name, set.gen, i));
  }

  private async readHead(name: string): Promise<Head | null> {
    const text = await this.store.get(headAccount(name));
    if (text === null) return null;
    const head = parseHead(text);
    if (!head) throw corrupt(name, 'its head entry is unreadable');
    return head;
  }

  // A write replaces whatever is there: an unreadable head is overwritten (its chunks cannot be found).
  private async readHeadForWrite(name: string): Promise<Head | null> {
    const text = await this.store.get(headAccount(name));
    return text === null ? null : parseHead(text);
  }

  private async writeHead(name: string, head: Head): Promise<void> {
    const text = JSON.stringify(head);
    if (text.length > this.maxEntryChars)
      throw new KeyrotError('INTERNAL', `head entry of "${name}" too large`);
    await this.store.set(headAccount(name), text);
  }

  private async readIndex(): Promise<string[]> {
    return (await this.readIndexWithHead()).names;
  }

  // The index's names and its head entry, so an index update writes without reading the head twice.
  private async readIndexWithHead(): Promise<{ names: string[]; head: Head | null }> {
    const head = await this.readHead(INDEX_NAME);
    const bytes = await this.decode(INDEX_NAME, head);
    if (bytes === null) return { names: [], head };
    const names: unknown = safeJson(bytes.toString('utf8'));
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw corrupt(INDEX_NAME, 'it is not a list of names');
    }
    return { names: names as string[], head };
  }

  private async addToIndex(name: string): Promise<void> {
    const { names, head } = await this.readIndexWithHead();
    if (names.includes(name)) return;
    await this.write(INDEX_NAME, JSON.stringify([...names, name].sort()), false, head);
  }

  private async removeFromIndex(name: string): Promise<void> {
    const { names, head } = await this.readIndexWithHead();
    if (!names.includes(name)) return;
    await this.write(INDEX_NAME, JSON.stringify(names.filter((n) => n !== name)), false, head);
  }

  // One writer at a time: in this process through a queue, between processes through the lock.
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const release = this.options.lock ? await this.options.lock() : undefined;
      try {
        return await task();
      } finally {
        await release?.();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
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
