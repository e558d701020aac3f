import { KeyrotError } from '../errors/keyrot-error.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { ChunkedValueStore } from './chunked-values.js';

/** The steps of a rotation, in order (docs/rotation-protocol.md). */
export const JOURNAL_PHASES = ['intent', 'created', 'proven', 'backed-up', 'written', 'retired'] as const;

/** How far a rotation got. */
export type JournalPhase = (typeof JOURNAL_PHASES)[number];

/** One profile's rotation in progress; holds the new secret between `created` and `finish`. */
export interface JournalEntry {
  profile: string;
  oldKeyId: string;
  userArn?: string;
  phase: JournalPhase;
  newKeyId?: string;
  newSecret?: string;
  backupId?: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601. */
  updatedAt: string;
}

const PREFIX = 'journal:';

/**
 * The rotation journal, kept in the keychain because it holds a freshly created secret. Every write is
 * read back before the call returns, and a damaged entry is reported (KEYCHAIN_CORRUPT), never skipped:
 * it may hold the only copy of a live secret.
 */
export class RotationJournal {
  private readonly clock: Clock;
  // Each profile's entry as this journal last read it or wrote and read back. A rotation holds its
  // profile's lock, so no one else changes the entry meanwhile: `begin` right after `get`, and
  // `recordNewKey` right after `begin`, need no keychain round trip to know it. Forgotten on any error.
  private readonly known = new Map<string, JournalEntry | null>();

  /** @param values the opened keychain's value store. */
  constructor(
    private readonly values: ChunkedValueStore,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Records the intent to rotate `profile`'s key; refuses if an entry already holds a new key. */
  async begin(profile: string, oldKeyId: string, extra: { userArn?: string } = {}): Promise<JournalEntry> {
    const existing = this.known.has(profile) ? this.known.get(profile) : await this.get(profile);
    if (existing?.newKeyId) {
      throw new KeyrotError(
        'ROTATION_FAILED',
        `an interrupted rotation of profile "${profile}" holds a new key; it must be resumed, not restarted`,
        { hint: `Run \`keyrot rotate-now --profile ${profile}\` to finish it.` },
      );
    }
    const now = this.clock.now().toISOString();
    const entry: JournalEntry = { profile, oldKeyId, phase: 'intent', startedAt: now, updatedAt: now };
    if (extra.userArn) entry.userArn = extra.userArn;
    return this.save(entry);
  }

  /** Records the key CreateAccessKey just returned (phase `created`); never replaces a different new key. */
  async recordNewKey(profile: string, keyId: string, secret: string): Promise<JournalEntry> {
    const entry = await this.require(profile);
    if (entry.newKeyId && entry.newKeyId !== keyId) {
      throw new KeyrotError('INTERNAL', `the journal of profile "${profile}" already holds another new key`);
    }
    return this.save({ ...entry, newKeyId: keyId, newSecret: secret, phase: later(entry.phase, 'created') });
  }

  /** Moves `profile`'s entry forward to `phase` (never backward), optionally recording the backup id. */
  async advance(
    profile: string,
    phase: JournalPhase,
    details: { backupId?: string } = {},
  ): Promise<JournalEntry> {
    const entry = await this.require(profile);
    if (rank(phase) < rank(entry.phase)) {
      throw new KeyrotError(
        'INTERNAL',
        `journal of "${profile}" cannot go back from ${entry.phase} to ${phase}`,
      );
    }
    if (rank(phase) >= rank('created') && !entry.newKeyId) {
      throw new KeyrotError('INTERNAL', `journal of "${profile}" cannot reach ${phase} without a new key`);
    }
    const next: JournalEntry = { ...entry, phase };
    if (details.backupId) next.backupId = details.backupId;
    return this.save(next);
  }

  /** Ends `profile`'s rotation: the entry, and the secret in it, are removed from the keychain. */
  async finish(profile: string): Promise<void> {
    this.known.delete(profile);
    // The name stays listed: the profile's next rotation writes it again (pending() skips it meanwhile).
    await this.values.delete(nameOf(profile), { keepListed: true });
    if ((await this.values.get(nameOf(profile))) !== null) {
      throw new KeyrotError(
        'KEYCHAIN_FAILED',
        `the keychain kept the journal of profile "${profile}" after deleting it`,
      );
    }
    this.known.set(profile, null);
  }

  /** `profile`'s entry, or null; KEYCHAIN_CORRUPT when it cannot be read whole. */
  async get(profile: string): Promise<JournalEntry | null> {
    this.known.delete(profile);
    const entry = await this.load(nameOf(profile), profile);
    this.known.set(profile, entry && { ...entry });
    return entry;
  }

  /** Every rotation in progress; throws KEYCHAIN_CORRUPT naming each profile whose entry is damaged. */
  async pending(): Promise<JournalEntry[]> {
    const entries: JournalEntry[] = [];
    const damaged: string[] = [];
    for (const name of await this.values.list(PREFIX)) {
      const profile = profileOf(name);
      try {
        const entry = await this.load(name, profile);
        if (entry) entries.push(entry);
      } catch (error) {
        if (!(error instanceof KeyrotError && error.code === 'KEYCHAIN_CORRUPT')) throw error;
        damaged.push(profile);
      }
    }
    if (damaged.length > 0) {
      throw new KeyrotError(
        'KEYCHAIN_CORRUPT',
        `the rotation journal of ${damaged.map((p) => `profile "${p}"`).join(', ')} is damaged`,
        {
          hint: "It may hold the only copy of a new key: check the user's keys in IAM before removing it.",
        },
      );
    }
    return entries.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  private async require(profile: string): Promise<JournalEntry> {
    const entry = this.known.has(profile) ? this.known.get(profile) : await this.get(profile);
    if (!entry) throw new KeyrotError('INTERNAL', `no rotation of profile "${profile}" is in the journal`);
    return entry;
  }

  // Durable before return: written through the commit-point protocol, then read back and compared.
  private async save(entry: JournalEntry): Promise<JournalEntry> {
    const next = { ...entry, updatedAt: this.clock.now().toISOString() };
    const text = JSON.stringify(next);
    this.known.delete(entry.profile);
    await this.values.put(nameOf(entry.profile), text);
    if ((await this.values.get(nameOf(entry.profile))) !== text) {
      throw new KeyrotError(
        'KEYCHAIN_FAILED',
        `the keychain did not keep the journal of profile "${entry.profile}"`,
      );
    }
    this.known.set(entry.profile, next);
    return next;
  }

  private async load(name: string, profile: string): Promise<JournalEntry | null> {
    const text = await this.values.get(name);
    if (text === null) return null;
    const entry = parseEntry(text);
    if (!entry || entry.profile !== profile) {
      throw new KeyrotError('KEYCHAIN_CORRUPT', `the rotation journal of profile "${profile}" is damaged`, {
        hint: "It may hold the only copy of a new key: check the user's keys in IAM before removing it.",
      });
    }
    return entry;
  }
}

function nameOf(profile: string): string {
  return PREFIX + encodeURIComponent(profile);
}

function profileOf(name: string): string {
  try {
    return decodeURIComponent(name.slice(PREFIX.length));
  } catch {
    return name.slice(PREFIX.length);
  }
}

function rank(phase: JournalPhase): number {
  return JOURNAL_PHASES.indexOf(phase);
}

function later(a: JournalPhase, b: JournalPhase): JournalPhase {
  return rank(a) >= rank(b) ? a : b;
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
  const strings = ['profile', 'oldKeyId', 'startedAt', 'updatedAt'];
  const optional = ['userArn', 'newKeyId', 'newSecret', 'backupId'];
  if (!strings.every((key) => typeof e[key] === 'string')) return null;
  if (!optional.every((key) => e[key] === undefined || typeof e[key] === 'string')) return null;
  if (!JOURNAL_PHASES.includes(e.phase as JournalPhase)) return null;
  if (rank(e.phase as JournalPhase) >= rank('created') && (!e.newKeyId || !e.newSecret)) return null;
  return value as JournalEntry;
}
