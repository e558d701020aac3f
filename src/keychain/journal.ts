import { createHash } from 'node:crypto';
import { KeyrotError } from '../errors/keyrot-error.js';
import { maskKeyId } from '../errors/redact.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { ChunkedValueStore, IndexChanges, ValueVersion } from './chunked-values.js';

/**
 * How far a rotation got: `intent` before CreateAccessKey, `created` once the new key and secret are kept,
 * `retiring` once the files hold the new key and the old one stays active until `retireAt`.
 */
export type JournalPhase = 'intent' | 'created' | 'retiring';

/** A file a rotation rewrites: its real path (symlinks resolved) and which AWS file it is. */
export interface JournalFile {
  path: string;
  kind: 'credentials' | 'config';
}

/** Names one rotation: the IAM user and the key it replaces (one rotation per user at a time). */
export interface JournalKey {
  userArn: string;
  oldKeyId: string;
}

/** One rotation in progress; holds the new secret between `created` and `finish`. */
export interface JournalEntry extends JournalKey {
  /** The profile whose run started it (for messages; any run concerning the key may resume it). */
  profile: string;
  /** Every file the rotation rewrites. */
  files: JournalFile[];
  /** The user's key ids when the intent was recorded: any other key found later was created by this rotation. */
  keysBefore: string[];
  phase: JournalPhase;
  newKeyId?: string;
  newSecret?: string;
  /** Phase `retiring`: when the files were rewritten (ISO 8601); a later use of the old key is news. */
  rewrittenAt?: string;
  /** Phase `retiring`: when the old key is deactivated (ISO 8601). */
  retireAt?: string;
  /** Phase `retiring`: the newest use of the old key after the rewrite that the person was told of. */
  useSeenAt?: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** What a survey of the journal found: readable entries, and the old key ids of damaged ones. */
export interface JournalSurvey {
  entries: JournalEntry[];
  /** Entries that cannot be read whole; the key id comes from the entry's name. */
  damaged: { oldKeyId: string }[];
}

/**
 * A durable record outside the keychain that the journal holds no entry (src/state/journal-empty.ts), which
 * `keyrot status` trusts to skip the keychain. Never "empty" while an entry exists: it is withdrawn before
 * any entry is written and written only under the keychain's lock once no entry holds a value.
 */
export interface JournalEmptyRecord {
  /** Removes the record, durably (no error when there is none). */
  withdraw(): Promise<void>;
  /** Writes the record, durably. */
  write(): Promise<void>;
}

const PREFIX = 'journal:';
const DAMAGED_HINT =
  "It may hold the only copy of a new key: check the user's keys in IAM before removing it.";

/**
 * The rotation journal, kept in the keychain because it holds a freshly created secret. An entry is named
 * by the old key id and a hash of the user ARN (`journal:<key id>:<hash>`), so a run finds the entries
 * that concern its key without reading anyone else's, and a damaged entry still says which key it is
 * about. Every write is read back before the call returns; a damaged entry of the run's key is reported
 * (KEYCHAIN_CORRUPT), never skipped: it may hold the only copy of a live secret.
 */
export class RotationJournal {
  private readonly clock: Clock;
  private readonly emptyRecord?: JournalEmptyRecord;
  // Entries as this journal last wrote and read back, with the keychain version seen. A rotation holds
  // the locks of its key and user, so no one else changes its entry meanwhile: `recordNewKey` right after
  // `begin` needs no read, and each write replaces the version seen without reading it again.
  private readonly known = new Map<string, { entry: JournalEntry | null; version: ValueVersion }>();

  /**
   * @param values the opened keychain's value store.
   * @param options.emptyRecord the record kept of this keychain's empty journal; null only for a keychain
   *   no record speaks for (one in memory). Required, so that no writer of the journal can forget it.
   */
  constructor(
    private readonly values: ChunkedValueStore,
    options: { clock?: Clock; emptyRecord: JournalEmptyRecord | null },
  ) {
    this.clock = options.clock ?? systemClock;
    this.emptyRecord = options.emptyRecord ?? undefined;
  }

  /**
   * Records the intent to replace `oldKeyId` of `userArn`; refuses if its entry already holds a new key.
   * `changes`: what the index update that lists a new entry also does (names the rotation writes next,
   * such as its backups, listed at no index write of their own; leftovers taken out).
   */
  async begin(
    intent: Omit<JournalEntry, 'phase' | 'startedAt' | 'updatedAt' | 'newKeyId' | 'newSecret'>,
    changes: IndexChanges = {},
  ) {
    const now = this.clock.now().toISOString();
    const entry: JournalEntry = {
      ...intent,
      files: uniqueFiles(intent.files),
      phase: 'intent',
      startedAt: now,
      updatedAt: now,
    };
    const refuseNewKey = (existing: JournalEntry | null) => {
      if (existing?.newKeyId) {
        throw new KeyrotError(
          'ROTATION_FAILED',
          `an interrupted rotation of ${maskKeyId(intent.oldKeyId)} holds a new key; it must be resumed, not restarted`,
          { hint: `Run \`keyrot rotate-now --profile ${existing.profile}\` to finish it.` },
        );
      }
    };
    return this.save(entry, refuseNewKey, changes);
  }

  /** Records the key CreateAccessKey just returned (phase `created`); never replaces a different new key. */
  async recordNewKey(key: JournalKey, keyId: string, secret: string): Promise<JournalEntry> {
    const entry = await this.require(key);
    if (entry.newKeyId && entry.newKeyId !== keyId) {
      throw new KeyrotError(
        'INTERNAL',
        `the journal of ${maskKeyId(key.oldKeyId)} already holds another new key`,
      );
    }
    return this.save({ ...entry, newKeyId: keyId, newSecret: secret, phase: 'created' });
  }

  /**
   * Opens the old key's grace window (phase `retiring`): the files hold the new key since `rewrittenAt`,
   * and the old key stays active until `retireAt`.
   */
  async openWindow(
    key: JournalKey,
    window: { rewrittenAt: string; retireAt: string },
  ): Promise<JournalEntry> {
    const entry = await this.require(key);
    if (!entry.newKeyId) {
      throw new KeyrotError('INTERNAL', `the journal of ${maskKeyId(key.oldKeyId)} holds no new key`);
    }
    return this.save({ ...entry, ...window, phase: 'retiring' });
  }

  /** Remembers the newest use of the old key after the rewrite that the person was told of. */
  async recordUseSeen(key: JournalKey, usedAt: string): Promise<JournalEntry> {
    const entry = await this.require(key);
    return this.save({ ...entry, useSeenAt: usedAt });
  }

  /** Adds files to the entry's list (a run resuming it from other files rewrites those too). */
  async addFiles(key: JournalKey, files: JournalFile[]): Promise<JournalEntry> {
    const entry = await this.require(key);
    const merged = uniqueFiles([...entry.files, ...files]);
    if (merged.length === entry.files.length) return entry;
    return this.save({ ...entry, files: merged });
  }

  /** Ends the rotation: the entry, and the secret in it, are removed from the keychain. */
  async finish(key: JournalKey): Promise<void> {
    const name = nameOf(key);
    const replaces = this.known.get(name)?.version;
    this.known.delete(name);
    // The name stays listed: the next rotation's first write unlists it with the index update it makes
    // anyway (a listed entry without a value reads as none).
    await this.values.delete(name, { keepListed: true, replaces });
    const back = await this.values.getVersioned(name);
    if (back.value !== null) {
      throw new KeyrotError(
        'KEYCHAIN_FAILED',
        `the keychain kept the journal of ${maskKeyId(key.oldKeyId)} after deleting it`,
      );
    }
    this.known.set(name, { entry: null, version: back.version });
    // The last rotation to finish records the empty journal; failing that, the record stays absent
    // ("unknown": status reads the keychain), which costs time, never correctness.
    await this.recordIfEmpty(name).catch(() => false);
  }

  /**
   * Writes the empty record when no entry holds a value, and says whether it did. Under the keychain's
   * lock, which every first write of an entry holds while it withdraws the record: no entry can begin
   * between the look and the write. `gone`: a name the caller has just seen deleted and that nobody else
   * writes (its rotation's locks are held), not read again.
   */
  async recordIfEmpty(gone?: string): Promise<boolean> {
    const record = this.emptyRecord;
    if (!record) return false;
    return this.values.locked(async (values) => {
      for (const name of await values.list(PREFIX)) {
        if (name !== gone && (await values.get(name)) !== null) return false;
      }
      await record.write();
      return true;
    });
  }

  /** The entry of `key`, or null; KEYCHAIN_CORRUPT when it cannot be read whole. */
  async get(key: JournalKey): Promise<JournalEntry | null> {
    const name = nameOf(key);
    this.known.delete(name);
    const { entry, version } = await this.load(name);
    this.known.set(name, { entry: entry && { ...entry }, version });
    return entry;
  }

  /**
   * The rotation that concerns `keyId`: the one that created it (the file already holds the new key), else
   * the one replacing it. Entries of other keys never interfere; a damaged entry replacing `keyId` is
   * KEYCHAIN_CORRUPT (it may hold the only copy of its new key).
   */
  async find(keyId: string): Promise<JournalEntry | null> {
    let replacing: JournalEntry | null = null;
    for (const name of await this.values.list(PREFIX)) {
      const mine = oldKeyIdOf(name) === keyId;
      let loaded: Awaited<ReturnType<RotationJournal['load']>>;
      try {
        loaded = await this.load(name);
      } catch (error) {
        if (mine || !(error instanceof KeyrotError && error.code === 'KEYCHAIN_CORRUPT')) throw error;
        continue;
      }
      const { entry, version } = loaded;
      if (!entry) continue;
      this.known.set(name, { entry: { ...entry }, version });
      if (entry.newKeyId === keyId) return entry;
      if (mine) replacing = entry;
    }
    return replacing;
  }

  /** Every rotation in progress (oldest first), and the damaged entries, without throwing for those. */
  async survey(): Promise<JournalSurvey> {
    const entries: JournalEntry[] = [];
    const damaged: { oldKeyId: string }[] = [];
    for (const name of await this.values.list(PREFIX)) {
      try {
        const { entry } = await this.load(name);
        if (entry) entries.push(entry);
      } catch (error) {
        if (!(error instanceof KeyrotError && error.code === 'KEYCHAIN_CORRUPT')) throw error;
        damaged.push({ oldKeyId: oldKeyIdOf(name) });
      }
    }
    entries.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    return { entries, damaged };
  }

  /** Every rotation in progress, oldest first; KEYCHAIN_CORRUPT naming the key of each damaged entry. */
  async pending(): Promise<JournalEntry[]> {
    const { entries, damaged } = await this.survey();
    if (damaged.length > 0) {
      throw new KeyrotError(
        'KEYCHAIN_CORRUPT',
        `the rotation journal of ${damaged.map((d) => maskKeyId(d.oldKeyId)).join(', ')} is damaged`,
        { hint: DAMAGED_HINT },
      );
    }
    return entries;
  }

  private async require(key: JournalKey): Promise<JournalEntry> {
    const name = nameOf(key);
    const entry = this.known.has(name) ? this.known.get(name)!.entry : await this.get(key);
    if (!entry) {
      throw new KeyrotError('INTERNAL', `no rotation of ${maskKeyId(key.oldKeyId)} is in the journal`);
    }
    return entry;
  }

  /**
   * Durable before return: written through the commit-point protocol, then read back and compared. With
   * `check`, the entry there now is read and checked under the keychain's lock, in the hold that writes:
   * after the index, so an entry the index does not list (a new rotation's) costs no read; `changes`
   * then go with the index update that lists it, if it makes one.
   */
  private async save(
    entry: JournalEntry,
    check?: (existing: JournalEntry | null) => void,
    changes: IndexChanges = {},
  ): Promise<JournalEntry> {
    const name = nameOf(entry);
    const next = { ...entry, updatedAt: this.clock.now().toISOString() };
    const text = JSON.stringify(next);
    const replaces = this.known.get(name)?.version;
    this.known.delete(name);
    // Leftover names of finished entries go with the index update that listing this one makes anyway.
    const unlistIfAbsent = (other: string) =>
      (other.startsWith(PREFIX) && other !== name) || Boolean(changes.unlistIfAbsent?.(other));
    if (check) {
      await this.values.locked(async (values) => {
        await values.list(PREFIX);
        const existing = await values.get(name);
        check(existing === null ? null : parsed(name, existing));
        // Under the lock recordIfEmpty holds to look and write: the record is gone before the entry exists.
        await this.emptyRecord?.withdraw();
        await values.put(name, text, { unlistIfAbsent, alsoList: changes.alsoList });
      });
    } else {
      // The entry exists already (its rotation's locks keep it so), so no record can have been written
      // since; withdrawn again all the same, in case a keyrot that keeps no record began this entry.
      await this.emptyRecord?.withdraw();
      await this.values.put(name, text, { replaces, unlistIfAbsent });
    }
    const back = await this.values.getVersioned(name);
    if (back.value !== text) {
      throw new KeyrotError(
        'KEYCHAIN_FAILED',
        `the keychain did not keep the journal of ${maskKeyId(entry.oldKeyId)}`,
      );
    }
    this.known.set(name, { entry: next, version: back.version });
    return next;
  }

  private async load(name: string): Promise<{ entry: JournalEntry | null; version: ValueVersion }> {
    const { value: text, version } = await this.values.getVersioned(name);
    return { entry: text === null ? null : parsed(name, text), version };
  }
}

/** The entry stored under `name`; KEYCHAIN_CORRUPT when it is not a whole entry of that name. */
function parsed(name: string, text: string): JournalEntry {
  const entry = parseEntry(text);
  if (!entry || nameOf(entry) !== name) {
    throw new KeyrotError(
      'KEYCHAIN_CORRUPT',
      `the rotation journal of ${maskKeyId(oldKeyIdOf(name))} is damaged`,
      {
        hint: DAMAGED_HINT,
      },
    );
  }
  return entry;
}

// The user ARN is hashed: the name must stay short and free of `/`, and an ARN can be long and has both.
function nameOf(key: JournalKey): string {
  const user = createHash('sha256').update(key.userArn).digest('hex').slice(0, 16);
  return `${PREFIX}${encodeURIComponent(key.oldKeyId)}:${user}`;
}

function oldKeyIdOf(name: string): string {
  const encoded = name.slice(PREFIX.length).split(':')[0] ?? '';
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function uniqueFiles(files: JournalFile[]): JournalFile[] {
  const seen = new Map<string, JournalFile>();
  for (const file of files)
    if (!seen.has(file.path)) seen.set(file.path, { path: file.path, kind: file.kind });
  return [...seen.values()];
}

function parseEntry(text: string): JournalEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const e = value as Record<string, unknown>;
  if (typeof e !== 'object' || e === null) return null;
  const strings = ['userArn', 'oldKeyId', 'profile', 'startedAt', 'updatedAt'];
  const optional = ['newKeyId', 'newSecret', 'rewrittenAt', 'retireAt', 'useSeenAt'];
  if (!strings.every((key) => typeof e[key] === 'string')) return null;
  if (!optional.every((key) => e[key] === undefined || typeof e[key] === 'string')) return null;
  if (e.phase !== 'intent' && e.phase !== 'created' && e.phase !== 'retiring') return null;
  if (e.phase !== 'intent' && (!e.newKeyId || !e.newSecret)) return null;
  if (e.phase === 'retiring' && (!e.rewrittenAt || !e.retireAt)) return null;
  if (!Array.isArray(e.keysBefore) || !e.keysBefore.every((k) => typeof k === 'string')) return null;
  const files = e.files;
  if (
    !Array.isArray(files) ||
    !files.every(
      (f) =>
        typeof f === 'object' &&
        f !== null &&
        typeof (f as JournalFile).path === 'string' &&
        ((f as JournalFile).kind === 'credentials' || (f as JournalFile).kind === 'config'),
    )
  ) {
    return null;
  }
  return value as JournalEntry;
}
