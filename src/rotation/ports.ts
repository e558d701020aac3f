// The narrow ports the rotation protocol runs over. Each is the smallest surface a step needs, so a
// step can be driven by the real module (wired in src/commands/rotation-deps.ts) or, for fault injection, by a fake.
import type {
  AccessKeyInfo,
  AccessKeyLastUsed,
  AwsCredentials,
  CallerIdentity,
  CreatedAccessKey,
} from '../aws/types.js';
import type { ProfileSettings } from '../config/settings.js';
import type { BackupReservation, FileBytes } from '../keychain/backups.js';
import type { IndexChanges } from '../keychain/chunked-values.js';
import type { JournalEntry, JournalFile, JournalKey, JournalSurvey } from '../keychain/journal.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from '../notify/notifier.js';
import type { Clock } from '../time/clock.js';

/** STS, every call signed with the credentials given. */
export interface StsPort {
  /** Who a key belongs to. */
  getCallerIdentity(credentials: AwsCredentials): Promise<CallerIdentity>;
  /** An MFA session from a key and a code. */
  getSessionToken(
    credentials: AwsCredentials,
    mfa: { serialNumber: string; tokenCode: string },
  ): Promise<AwsCredentials>;
}

/** IAM key management, every call signed with the credentials given. */
export interface IamPort {
  /** The user's keys (`userName` '': the keys of the user who signs the request). */
  listAccessKeys(credentials: AwsCredentials, userName: string): Promise<AccessKeyInfo[]>;
  /** A new key; a single attempt (not idempotent). */
  createAccessKey(credentials: AwsCredentials, userName: string): Promise<CreatedAccessKey>;
  /** Activates or deactivates a key. */
  updateAccessKey(
    credentials: AwsCredentials,
    userName: string,
    accessKeyId: string,
    status: 'Active' | 'Inactive',
  ): Promise<void>;
  /** Deletes a key. */
  deleteAccessKey(credentials: AwsCredentials, userName: string, accessKeyId: string): Promise<void>;
  /** When and where a key was last used. */
  getAccessKeyLastUsed(credentials: AwsCredentials, accessKeyId: string): Promise<AccessKeyLastUsed>;
  /** The serial numbers of the user's MFA devices (AWS allows this without MFA). */
  listMfaDevices(credentials: AwsCredentials, userName: string): Promise<string[]>;
}

/** The AWS shared files as the SDK reads them (profile name → settings). */
export interface SharedProfiles {
  credentials: Map<string, Record<string, string>>;
  config: Map<string, Record<string, string>>;
}

/** A file a rotation rewrites: its real path (symlinks resolved) and which AWS file it is. */
export type RotationFile = JournalFile;

/** The credentials and config files of the person. */
export interface CredentialFilesPort {
  /** The two files' paths as this run was given them. */
  readonly paths: { credentialsFile: string; configFile: string };
  /** Both files parsed with the SDK's grammar (missing files read as empty). */
  read(): Promise<SharedProfiles>;
  /** A file's exact bytes, or null when it does not exist. */
  readBytes(file: string): Promise<Buffer | null>;
  /** This run's files that have a profile holding `keyId`, as real paths. */
  holding(keyId: string): Promise<RotationFile[]>;
  /**
   * Pre-flight: proves that keyrot's atomic rename can replace each file (not a mount point, directory
   * writable, not hard-linked unless allowed, owned by this user). With `probe`, a scratch file is created
   * and renamed in each directory. Throws KeyrotError (exit 3) with the reason and the fix.
   */
  checkReplaceable(files: RotationFile[], options: { allowHardlink: boolean; probe: boolean }): Promise<void>;
  /**
   * Puts the new key into every profile of `files` holding `oldKeyId`: one atomic write per file. `warn`
   * hears what the person should know about a write (a file readable by others, written back as 0600).
   */
  replaceKeyId(
    files: RotationFile[],
    oldKeyId: string,
    next: { accessKeyId: string; secretAccessKey: string },
    warn?: (message: string) => void,
  ): Promise<{ file: string; profiles: string[] }[]>;
}

/** A journal phase (the keychain's journal defines them). */
export type { JournalPhase } from '../keychain/journal.js';

/** What the journal remembers of an unfinished rotation (it holds the new secret: keychain only). */
export type JournalEntryLike = JournalEntry;

/**
 * The rotation journal in the keychain, keyed by user ARN and old key id. Only what cannot be recomputed
 * is journaled — the intent (with the keys the user had, so a key whose CreateAccessKey answer was lost
 * can be told apart and deleted), the files to rewrite, and the new secret. Steps 7–10 are idempotent and
 * resume from what the files and IAM say, so they write nothing here.
 */
export interface JournalPort {
  /** The unfinished rotation that created `keyId` or is replacing it, if any. */
  find(keyId: string): Promise<JournalEntryLike | null>;
  /**
   * Records the intent to create a key (before CreateAccessKey); `changes` go with the keychain index
   * update that lists a new entry (the backups reserved for step 8).
   */
  begin(
    intent: Omit<JournalEntryLike, 'phase' | 'startedAt' | 'updatedAt' | 'newKeyId' | 'newSecret'>,
    changes?: IndexChanges,
  ): Promise<unknown>;
  /** Records the new key and its secret (right after CreateAccessKey). */
  recordNewKey(key: JournalKey, keyId: string, secret: string): Promise<unknown>;
  /** Opens the old key's grace window: the old key stays active until `retireAt` (phase `retiring`). */
  openWindow(key: JournalKey, window: { rewrittenAt: string; retireAt: string }): Promise<unknown>;
  /** Remembers the newest use of the old key after the rewrite that the person was told of. */
  recordUseSeen(key: JournalKey, usedAt: string): Promise<unknown>;
  /** Adds files the rotation must rewrite too. */
  addFiles(key: JournalKey, files: RotationFile[]): Promise<unknown>;
  /** Removes the entry, and with it the secret. */
  finish(key: JournalKey): Promise<unknown>;
  /** Every unfinished rotation, and the damaged entries (by old key id). */
  survey(): Promise<JournalSurvey>;
}

/** Backups of the credentials/config files in the keychain. */
export interface BackupPort {
  /** Chooses ahead the backups `backup` will store of these files' bytes (perhaps still being read). */
  reserve(files: Promise<FileBytes[]>): Promise<BackupReservation>;
  /**
   * Stores the file's bytes (under its reserved name, if `reserved` has one) and returns the backup id;
   * `reused` when its newest backup held them already.
   */
  backup(
    content: Buffer,
    meta: { file: string; reason: string; reserved?: BackupReservation },
  ): Promise<{ id: string; reused: boolean }>;
}

/** Progress for the person watching (stderr); never a secret. */
export interface ProgressPort {
  /** A protocol step started or reached a milestone. */
  step(name: string, detail: string): void;
}

/** How one run of the after_rotate hook ended. */
export interface HookRun {
  /** The shell's exit code; -1 when it could not start or was killed by a signal. */
  exitCode: number;
  /** What it printed (stdout and stderr, unredacted: logged only at debug level, after redaction). */
  output: string;
  /** From start to exit, in milliseconds. */
  durationMs: number;
  /** True when it ran past its timeout and its process group was killed. */
  timedOut: boolean;
}

/** Runs the after_rotate hook with the new key in its environment only. */
export interface HookPort {
  /** Runs `command` and resolves when it exits (or was killed at its timeout); never rejects. */
  run(command: string, env: Record<string, string>): Promise<HookRun>;
}

/** Records a finished rotation's result (the daemon's state file); never throws. */
export interface ResultRecorderPort {
  /** Records the outcome of one profile. */
  record(result: RotationResult): Promise<void>;
}

/** Everything a rotation needs from the outside world. */
export interface RotationDeps {
  sts: StsPort;
  iam: IamPort;
  /** The STS and IAM ports for one profile (its region and endpoints); sts/iam above when absent. */
  awsFor?: (profile: string) => Promise<{ sts: StsPort; iam: IamPort }>;
  files: CredentialFilesPort;
  journal: JournalPort;
  backups: BackupPort;
  clock: Clock;
  logger: Logger;
  progress: ProgressPort;
  /** Per-profile policy from keyrot's settings. */
  policy(profile: string): ProfileSettings;
  /**
   * Takes the inter-process lock named by an access key id or a user ARN, waiting (bounded) while another
   * keyrot holds it and telling `waiting` how long it has waited; KeyrotError LOCKED (exit 4) when it stays
   * held. Returns its release.
   */
  lock(
    kind: 'key' | 'user',
    name: string,
    waiting: (waitedMs: number, holder: string) => void,
  ): Promise<() => Promise<void>>;
  /** Asks the person for an MFA code; absent when there is no terminal. */
  promptMfaCode?: (profile: string, serial: string) => Promise<string>;
  /** Asks the person which of several MFA devices to use; absent when there is no terminal. */
  chooseMfaDevice?: (profile: string, serials: string[]) => Promise<string>;
  hook?: HookPort;
  recorder?: ResultRecorderPort;
  /** Desktop notifications (an old key still used at the end of its grace window); none when absent. */
  notifier?: Notifier;
  /** How long to wait for AWS to accept a new key (default 60 s). */
  propagationTimeoutMs?: number;
  /** Allow rotating the root user's key (default false). */
  allowRoot?: boolean;
}

/** What to rotate and how. */
export interface RotationRequest {
  profile: string;
  /** Rotate even when not due. */
  force: boolean;
  /** Delete the user's other active key to make room. */
  deleteOther: boolean;
  /** Say what would happen and change nothing. */
  dryRun: boolean;
  /** Rewrite a hard-linked file anyway (the rename splits the link: the other names keep the old key). */
  allowHardlink?: boolean;
  /** The key the caller saw in the profile; a profile found on another key is already rotated. */
  startKeyId?: string;
}

/** A replaced key's grace window, as a rotation reports it (key id unmasked; mask when printing). */
export interface OldKeyWindow {
  keyId: string;
  /** The deadline (ISO 8601). */
  until: string;
  state: 'open' | 'waiting' | 'closed';
}

/** What happened to a key other than the current one. */
export type OtherKeyAction =
  | 'none'
  | 'deleted-inactive'
  | 'deleted-active'
  | 'deleted-orphan'
  | 'would-delete-inactive'
  | 'would-delete-active';

/** The outcome of rotating one profile (key ids unmasked; mask when printing). */
export interface RotationResult {
  profile: string;
  /** `already-rotated`: another rotation replaced the key while this run waited for its lock. */
  outcome: 'rotated' | 'not-due' | 'dry-run' | 'already-rotated';
  userArn: string;
  oldKeyId: string;
  newKeyId?: string;
  /** `kept-active`: the old key stays active for old_key_active_hours (see `oldKeyWindow`). */
  oldKeyAction: 'none' | 'deactivated' | 'deleted' | 'kept-active' | 'would-deactivate' | 'would-delete';
  otherKeyAction: OtherKeyAction;
  /**
   * The grace window of a replaced key (old_key_active_hours), when this run opened or looked at one:
   * `open` until `until`; `waiting` past it while the key is still used (old_key_wait_while_used);
   * `closed` when this run retired the key.
   */
  oldKeyWindow?: OldKeyWindow;
  backupId?: string;
  /** The files and profiles that now hold the new key. */
  updated?: { file: string; profiles: string[] }[];
  durationMs: number;
  /** True when this run continued an interrupted rotation from the journal. */
  resumed: boolean;
  /** Age in days of the key that was current when the run started. */
  ageDays: number;
  /** When that key is (or was) due. */
  dueAt: string;
  /** The after_rotate hook, when configured. */
  hook?: { exitCode: number; ok: boolean; durationMs: number; timedOut: boolean };
  /** What a dry run would do, in order. */
  plan?: string[];
  /** What the person should know although the rotation succeeded (a file's mode was tightened). */
  warnings?: string[];
}
