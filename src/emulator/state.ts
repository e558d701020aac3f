// The emulator's users, access keys and sessions, kept in memory and, with a state path, persisted
// atomically (src/fs writeFileAtomic, mode 0600) so a restarted emulator keeps them. Key changes are
// written before the response leaves, so a client that saw CreateAccessKey succeed finds the key after
// a crash; last-used stamps, which change on every call, are written shortly after instead.
import { readFileSync } from 'node:fs';
import { KeyrotError } from '../errors/keyrot-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { DAY_MS } from '../time/days.js';
import { newAccountId } from './ids.js';

/** A TOTP MFA device attached to a user: virtual (an ARN serial) or hardware (a token's serial). */
export interface MfaDeviceRecord {
  serialNumber: string;
  secretBase32: string;
  enableDate: string;
  /** The TOTP time step of the last code accepted: a code is good once, as with AWS. */
  lastUsedStep?: number;
}

/** An IAM user. */
export interface UserRecord {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createDate: string;
  /** May manage every user's keys (an administrator policy). */
  admin: boolean;
  /** The user's MFA devices; a user with any is under the "manage own credentials only with MFA" policy. */
  mfaDevices?: MfaDeviceRecord[];
}

/** The last use of an access key, as GetAccessKeyLastUsed reports it. */
export interface KeyLastUsed {
  date: string;
  serviceName: string;
  region: string;
}

/** A long-term access key, live or recently deleted (kept while deletion propagates). */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  status: 'Active' | 'Inactive';
  /** The CreateDate IAM reports (seeded keys may be backdated). */
  createDate: string;
  /** When the key's ability to authenticate last changed (epoch ms), for propagation delay. */
  authChangedAt: number;
  /** Whether it authenticated before that change. */
  authPreviouslyActive: boolean;
  /** Set once deleted; the record stays until the propagation window has passed. */
  deletedAt?: number;
  /** The last use GetAccessKeyLastUsed reports. */
  lastUsed?: KeyLastUsed;
  /** Later uses, oldest first, not yet visible (the emulator's last-used delay; see last-used.ts). */
  pendingUses?: KeyLastUsed[];
}

/** Temporary credentials issued by GetSessionToken. */
export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  userName: string;
  expiresAt: number;
  mfaAuthenticated: boolean;
  /** The long-term key that asked for the session. */
  sourceKeyId: string;
}

/** The persisted document. */
interface StateDocument {
  version: 1;
  accountId: string;
  users: UserRecord[];
  keys: AccessKeyRecord[];
  sessions: SessionRecord[];
}

const LAST_USED_FLUSH_MS = 250;
const EXPIRED_SESSION_KEEP_MS = DAY_MS;

/** Users, keys and sessions of one emulator, optionally persisted to a file. */
export class EmulatorState {
  readonly accountId: string;
  private readonly users = new Map<string, UserRecord>();
  private readonly keys = new Map<string, AccessKeyRecord>();
  private readonly sessions = new Map<string, SessionRecord>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** The last queued write: writes land in the order they were asked for. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string | undefined,
    document: StateDocument,
  ) {
    this.accountId = document.accountId;
    for (const user of document.users) {
      // State files written before users could have several devices keep their one device.
      const legacy = user as UserRecord & { mfa?: MfaDeviceRecord };
      if (legacy.mfa) {
        user.mfaDevices = [legacy.mfa];
        delete legacy.mfa;
      }
      this.users.set(user.userName, user);
    }
    for (const key of document.keys) this.keys.set(key.accessKeyId, key);
    for (const session of document.sessions) this.sessions.set(session.accessKeyId, session);
  }

  /** Opens the state: fresh in memory, or loaded from `path` when that file exists. */
  static async open(path: string | undefined, accountId?: string): Promise<EmulatorState> {
    const fresh: StateDocument = {
      version: 1,
      accountId: accountId ?? newAccountId(),
      users: [],
      keys: [],
      sessions: [],
    };
    if (path === undefined) return new EmulatorState(undefined, fresh);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        const state = new EmulatorState(path, fresh);
        await state.save();
        return state;
      }
      throw new KeyrotError('FILE_UNREADABLE', `cannot read the emulator state file`, {
        file: path,
        cause: error,
      });
    }
    try {
      const document = JSON.parse(text) as StateDocument;
      if (document.version !== 1 || !Array.isArray(document.users)) throw new Error('unknown layout');
      return new EmulatorState(path, document);
    } catch (error) {
      throw new KeyrotError('FILE_INVALID', 'the emulator state file is not a keyrot emulator state', {
        file: path,
        cause: error,
        hint: 'Point --state at a new file, or delete this one to start empty.',
      });
    }
  }

  /** The user named `userName`, if any. */
  user(userName: string): UserRecord | undefined {
    return this.users.get(userName);
  }

  /** Every user, in creation order. */
  allUsers(): UserRecord[] {
    return [...this.users.values()];
  }

  /** Adds or replaces a user; replacing drops the old user's keys. */
  putUser(user: UserRecord, now: number): void {
    if (this.users.has(user.userName)) {
      for (const key of this.userKeys(user.userName)) this.deleteKey(key, now, false);
    }
    this.users.set(user.userName, user);
  }

  /** The live (not deleted) keys of a user, oldest first. */
  userKeys(userName: string): AccessKeyRecord[] {
    return [...this.keys.values()]
      .filter((key) => key.userName === userName && key.deletedAt === undefined)
      .sort((a, b) => a.createDate.localeCompare(b.createDate) || a.accessKeyId.localeCompare(b.accessKeyId));
  }

  /** Every live key of every user. */
  allKeys(): AccessKeyRecord[] {
    return [...this.keys.values()].filter((key) => key.deletedAt === undefined);
  }

  /** A live key by id. */
  liveKey(accessKeyId: string): AccessKeyRecord | undefined {
    const key = this.keys.get(accessKeyId);
    return key && key.deletedAt === undefined ? key : undefined;
  }

  /** A key by id including recently deleted ones (authentication still honours them while propagating). */
  anyKey(accessKeyId: string): AccessKeyRecord | undefined {
    return this.keys.get(accessKeyId);
  }

  /** Adds a key. */
  addKey(key: AccessKeyRecord): void {
    this.keys.set(key.accessKeyId, key);
  }

  /** Marks a key deleted; with `keepForPropagation` false it disappears at once. */
  deleteKey(key: AccessKeyRecord, now: number, keepForPropagation = true): void {
    if (!keepForPropagation) {
      this.keys.delete(key.accessKeyId);
      return;
    }
    key.deletedAt = now;
  }

  /** Forgets deleted keys past the propagation window and sessions expired for a day. */
  purge(now: number, propagationDelayMs: number): void {
    for (const key of this.keys.values()) {
      if (key.deletedAt !== undefined && now - key.deletedAt >= propagationDelayMs)
        this.keys.delete(key.accessKeyId);
    }
    for (const session of this.sessions.values()) {
      // Expired sessions stay a day so that their use is answered with ExpiredToken, as AWS does.
      if (session.expiresAt + EXPIRED_SESSION_KEEP_MS <= now) this.sessions.delete(session.accessKeyId);
    }
  }

  /** A session by its temporary key id. */
  session(accessKeyId: string): SessionRecord | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Adds a session. */
  addSession(session: SessionRecord): void {
    this.sessions.set(session.accessKeyId, session);
  }

  /** Writes the state as it is now, durably; resolves once it is on disk (at once in memory). */
  save(): Promise<void> {
    if (this.path === undefined) return Promise.resolve();
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const document: StateDocument = {
      version: 1,
      accountId: this.accountId,
      users: [...this.users.values()],
      keys: [...this.keys.values()],
      sessions: [...this.sessions.values()],
    };
    const path = this.path;
    const text = `${JSON.stringify(document, null, 2)}\n`;
    // After the writes asked for before, whether they failed or not (their callers were told).
    const write = this.writing.catch(() => undefined).then(() => writeDocument(path, text));
    this.writing = write;
    return write;
  }

  /** Writes the state soon, coalescing frequent small changes such as last-used stamps. */
  saveSoon(): void {
    if (this.path === undefined || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // A failed stamp write is retried by the next change; never crash the server over it.
      this.save().catch(() => undefined);
    }, LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Writes any pending change and waits for the writes in flight. */
  async close(): Promise<void> {
    if (this.flushTimer) await this.save();
    else await this.writing.catch(() => undefined);
  }
}

async function writeDocument(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, { create: true, mode: 0o600 });
  } catch (error) {
    throw new KeyrotError('FILE_WRITE_FAILED', 'cannot write the emulator state file', {
      file: path,
      cause: error,
    });
  }
}
