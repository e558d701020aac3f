import { randomBytes } from 'node:crypto';
import { KeyrotError } from '../errors/keyrot-error.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { ChunkedValueStore, IndexChanges, LockedValues } from './chunked-values.js';
import { sha256Hex } from './value-codec.js';

/** How many backups of each file are kept when config.ini does not say (`backups_keep`). */
export const DEFAULT_BACKUPS_KEEP = 10;

/** One backup generation of a file, as listed (never holds the content). */
export interface BackupInfo {
  /** e.g. `20261125T190512Z-3fa1`: sortable by time, unique. */
  id: string;
  /** ISO 8601 time the backup was taken. */
  createdAt: string;
  /** Absolute path of the backed-up file (where a restore writes). */
  file: string;
  /** SHA-256 (hex) of the content's bytes. */
  sha256: string;
  /** Size in bytes of the content. */
  size: number;
  /** Why it was taken: `rotation of profile P`, `before restore of ID`, `manual`. */
  reason: string;
  /** The last time a backup of the same content was asked for and this one was kept instead. */
  reusedAt?: string;
}

/** What BackupStore.backup did: a new backup, or the newest one of the file when it holds the same bytes. */
export interface BackupResult extends BackupInfo {
  /** True when no new backup was stored because the file's newest backup already holds these bytes. */
  reused: boolean;
}

/** A file to back up and its bytes. */
export interface FileBytes {
  file: string;
  content: Buffer;
}

/** Backups chosen ahead of BackupStore.backup (see BackupStore.reserve). */
export interface BackupReservation {
  /** The id each file's next backup takes, by path. */
  readonly ids: ReadonlyMap<string, string>;
  /** For an index update made before the backups: their names listed, pruned contents' names taken out. */
  readonly changes: IndexChanges;
}

/** Options of BackupStore. */
export interface BackupStoreOptions {
  /** Newest generations kept per file (default 10). */
  keep?: number;
  clock?: Clock;
}

const CATALOG = 'backups';
const CONTENT_PREFIX = 'backup:';
// Content a crash left without a catalog entry is swept once it is this old (a live writer is never older).
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/** Backups of credential and config files in the keychain: a catalog value plus one value per backup. */
export class BackupStore {
  private readonly keep: number;
  private readonly clock: Clock;

  /** @param values the opened keychain's value store. */
  constructor(
    private readonly values: ChunkedValueStore,
    options: BackupStoreOptions = {},
  ) {
    this.keep = options.keep ?? DEFAULT_BACKUPS_KEEP;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.keep) || this.keep < 1)
      throw new RangeError('keep must be a positive integer');
  }

  /**
   * Chooses ahead the backups `backup` will store of these files (those whose newest backup holds other
   * bytes), so that an index update made anyway before them (a rotation's journal intent) lists their
   * names, with `changes`: each backup given the reservation then writes its content under its reserved
   * name with no index write of its own. The same update takes out the names of pruned contents (not in
   * the catalog read here, and without a value under the lock), which a backup's own update took out.
   * `files` may still be being read: the catalog is read meanwhile.
   */
  async reserve(files: FileBytes[] | Promise<FileBytes[]>): Promise<BackupReservation> {
    const now = this.clock.now();
    const [text, contents] = await Promise.all([this.values.get(CATALOG), files]);
    const catalog = parseCatalog(text);
    const taken = new Set(catalog.map((entry) => entry.id));
    const ids = new Map<string, string>();
    for (const { file, content } of contents) {
      const newest = catalog.findLast((entry) => entry.file === file);
      if (ids.has(file) || newest?.sha256 === sha256Hex(content)) continue;
      let id = newId(now);
      while (taken.has(id)) id = newId(now);
      taken.add(id);
      ids.set(file, id);
    }
    const catalogued = new Set(catalog.map((entry) => CONTENT_PREFIX + entry.id));
    // The first backup of a keychain writes the catalog's name too: listed ahead as well.
    const catalogToo = text === null && ids.size > 0 ? [CATALOG] : [];
    return {
      ids,
      changes: {
        alsoList: [...catalogToo, ...[...ids.values()].map((id) => CONTENT_PREFIX + id)],
        unlistIfAbsent: (name) => name.startsWith(CONTENT_PREFIX) && !catalogued.has(name),
      },
    };
  }

  /**
   * Stores `content` (bytes; a string is stored as its UTF-8 bytes) as the newest backup of `meta.file`
   * and prunes that file's generations beyond `keep` distinct contents. When the file's newest backup
   * already holds these bytes (a retry after a failed rotation), nothing is stored: that backup is
   * returned with `reused`, and the catalog records when it was reused. `reserved`: the backups chosen
   * ahead by `reserve`, whose name this one takes if it has one.
   */
  async backup(
    content: Buffer | string,
    meta: { file: string; reason: string; reserved?: BackupReservation },
  ): Promise<BackupResult> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const now = this.clock.now();
    const sha256 = sha256Hex(bytes);
    // One hold of the keychain lock: the catalog and the index are each read once, and the content and
    // the catalog written once each, the index at most once (not at all for a reserved name still listed).
    // The same hold then deletes the pruned contents, after the answer (answerThenDeletePruned).
    return this.answerThenDeletePruned(async (values) => {
      // The index is read beside the catalog: the new content's name, which it does not list, then
      // needs no read of its own.
      const [text] = await Promise.all([values.get(CATALOG), values.list(CONTENT_PREFIX)]);
      const catalog = parseCatalog(text);
      const newest = catalog.findLast((entry) => entry.file === meta.file);
      if (newest?.sha256 === sha256) {
        newest.reusedAt = now.toISOString();
        await values.put(CATALOG, JSON.stringify(catalog));
        return { result: { ...newest, reused: true }, gone: [] };
      }
      // A reserved id is fresh (listed ahead, never written) unless a backup already took it.
      const reserved = meta.reserved?.ids.get(meta.file);
      const fresh = reserved !== undefined && !catalog.some((entry) => entry.id === reserved);
      const info: BackupInfo = {
        id: fresh ? reserved : newId(now),
        createdAt: now.toISOString(),
        file: meta.file,
        sha256,
        size: bytes.length,
        reason: meta.reason,
      };
      const listed = new Set(catalog.map((entry) => CONTENT_PREFIX + entry.id));
      // Content first, catalog second: a listed backup always has its content. The index update that
      // lists the content also unlists the contents earlier backups pruned (deleted, left listed).
      await values.put(CONTENT_PREFIX + info.id, bytes, {
        fresh,
        unlistIfAbsent: (name) => name.startsWith(CONTENT_PREFIX) && !listed.has(name),
      });
      const next = [...catalog, info];
      const pruned = overflow(next, this.keep);
      const kept = next.filter((entry) => !pruned.includes(entry));
      await values.put(CATALOG, JSON.stringify(kept));
      const gone = new Set(pruned.map((old) => CONTENT_PREFIX + old.id));
      await sweepOrphans(values, now, kept, gone);
      return { result: { ...info, reused: false }, gone: [...gone] };
    });
  }

  /**
   * Runs `store` (a backup's reads and writes) in a hold of the lock and answers with its result as soon
   * as it returns: the backup is complete once its catalog is written, so the caller's next step (a
   * rotation's rewrite of the file) goes on while the same hold deletes the contents the backup pruned.
   * Later calls on the value store wait for that hold (ChunkedValueStore.idle and Keychain.close too).
   * The pruned names stay listed until a later index update takes them out (a backup's own, or the one a
   * rotation's intent makes with BackupStore.reserve's changes). A deletion that fails leaves a content
   * no catalog entry names, swept as an orphan by a later backup; the caller, answered already, never
   * sees it fail. Why here: in a rotation, steps 9 and 10 (files, IAM) are the only stretch after the
   * catalog write in which the keychain is idle, and the deletion (~6 ms on gnome-keyring) mostly fits
   * in it; started after the rotation's last keychain call, the process's exit waited for it (measured
   * slower), and in a hold of its own it cost a release and a retake of the lock (~0.5 ms more CPU).
   */
  private answerThenDeletePruned(
    store: (values: LockedValues) => Promise<{ result: BackupResult; gone: string[] }>,
  ): Promise<BackupResult> {
    return new Promise((resolve, reject) => {
      this.values
        .locked(async (values) => {
          const { result, gone } = await store(values);
          resolve(result);
          for (const name of gone) await values.delete(name, { keepListed: true });
        })
        // Before the answer the backup failed; after it, rejecting does nothing (a deletion failed).
        .catch(reject);
    });
  }

  /** Every kept backup, newest first. */
  async list(): Promise<BackupInfo[]> {
    return parseCatalog(await this.values.get(CATALOG)).reverse();
  }

  /** A backup and its bytes, by id or unique id prefix; BACKUP_NOT_FOUND or KEYCHAIN_CORRUPT otherwise. */
  async read(id: string): Promise<{ info: BackupInfo; content: Buffer }> {
    const info = await this.find(id);
    const content = await this.values.getBytes(CONTENT_PREFIX + info.id);
    if (content === null || sha256Hex(content) !== info.sha256) {
      throw new KeyrotError(
        'KEYCHAIN_CORRUPT',
        `the content of backup ${info.id} is missing or does not match its SHA-256`,
        {
          hint: 'keyrot never restores damaged data; pick another backup (`keyrot backup list`).',
        },
      );
    }
    return { info, content };
  }

  private async find(id: string): Promise<BackupInfo> {
    const all = await this.list();
    const exact = all.find((info) => info.id === id);
    if (exact) return exact;
    const matches = id.length >= 4 ? all.filter((info) => info.id.startsWith(id)) : [];
    if (matches.length === 1) return matches[0]!;
    throw new KeyrotError(
      'BACKUP_NOT_FOUND',
      matches.length > 1 ? `backup id "${id}" is ambiguous` : `no backup with id "${id}"`,
      { hint: 'Run `keyrot backup list` to see the ids.' },
    );
  }
}

/**
 * Deletes content a crash left without a catalog entry, once it is an hour old (a writer of an older
 * keyrot, which wrote content and catalog under two holds of the lock, may be between the two). The
 * pruned contents in `skip` are deleted next (BackupStore.answerThenDeletePruned) and stay listed until a
 * later index update takes them out.
 */
async function sweepOrphans(
  values: LockedValues,
  now: Date,
  catalog: BackupInfo[],
  skip: Set<string>,
): Promise<void> {
  const listed = new Set(catalog.map((info) => CONTENT_PREFIX + info.id));
  for (const name of await values.list(CONTENT_PREFIX)) {
    const taken = idTime(name.slice(CONTENT_PREFIX.length));
    if (!listed.has(name) && !skip.has(name) && taken !== null && now.getTime() - taken > ORPHAN_AGE_MS) {
      await values.delete(name);
    }
  }
}

/**
 * The backups to prune (the catalog is in creation order): per file, those past its `keep` newest
 * distinct contents, and older copies of a content a newer backup of the file holds as well.
 */
function overflow(catalog: BackupInfo[], keep: number): BackupInfo[] {
  const contents = new Map<string, Set<string>>();
  const extra: BackupInfo[] = [];
  for (const entry of [...catalog].reverse()) {
    const seen = contents.get(entry.file) ?? new Set<string>();
    contents.set(entry.file, seen);
    if (seen.has(entry.sha256) || seen.size >= keep) extra.push(entry);
    else seen.add(entry.sha256);
  }
  return extra;
}

function parseCatalog(text: string | null): BackupInfo[] {
  if (text === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every(isBackupInfo)) {
    throw new KeyrotError('KEYCHAIN_CORRUPT', 'the backup catalog in the keychain is unreadable', {
      hint: "Another program changed keyrot's keychain entries; the backups themselves are values named backup:ID.",
    });
  }
  return parsed;
}

function isBackupInfo(value: unknown): value is BackupInfo {
  const v = value as BackupInfo;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.createdAt === 'string' &&
    typeof v.file === 'string' &&
    typeof v.sha256 === 'string' &&
    typeof v.size === 'number' &&
    typeof v.reason === 'string'
  );
}

// Sortable by time, unique: the second it was taken and 16 random bits.
function newId(now: Date): string {
  return `${now.toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(2).toString('hex')}`;
}

function idTime(id: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(id);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : null;
}
