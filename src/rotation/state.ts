import type { AccessKeyInfo, AwsCredentials, CallerIdentity } from '../aws/types.js';
import type { ProfileSettings } from '../config/settings.js';
import type { BackupReservation } from '../keychain/backups.js';
import type {
  JournalEntryLike,
  OldKeyWindow,
  OtherKeyAction,
  RotationDeps,
  RotationFile,
  RotationRequest,
  RotationResult,
} from './ports.js';
import type { ClassifiedProfile } from './profile-kind.js';

/** What the steps of one rotation learn and hand to the next step. */
export interface RotationState {
  request: RotationRequest;
  policy: ProfileSettings;
  startedAtMs: number;
  resumed: boolean;
  profile?: ClassifiedProfile;
  /** The key the profile held when the rotation began (from the file or the journal). */
  oldKeyId: string;
  /** The files this rotation rewrites (recorded in the journal). */
  files: RotationFile[];
  /** The old key's pair, when the file still holds it. */
  oldCredentials?: AwsCredentials;
  /** GetCallerIdentity of a key, asked ahead of the step that takes it (src/rotation/sts-ahead.ts). */
  stsAhead?: { credentials: AwsCredentials; identity: Promise<CallerIdentity> };
  userArn: string;
  userName: string;
  /** An MFA session (from GetSessionToken) used for IAM calls when the user's policy requires MFA. */
  mfaSession?: AwsCredentials;
  keys: AccessKeyInfo[];
  ageDays: number;
  dueAt: string;
  due: boolean;
  newKey?: { accessKeyId: string; secretAccessKey: string };
  /** The backups step 8 stores, chosen at step 4 so that the intent's index write lists them. */
  backupsAhead?: BackupReservation;
  backupId?: string;
  updated?: { file: string; profiles: string[] }[];
  oldKeyAction: RotationResult['oldKeyAction'];
  otherKeyAction: OtherKeyAction;
  /** A replaced key's grace window this run opened or looked at. */
  oldKeyWindow?: OldKeyWindow;
  /** An earlier rotation's window still open (its journal entry): a rotation due now retires that key first. */
  openWindow?: JournalEntryLike;
  /** A resumed `retiring` entry's window, kept as it was (its deadline does not move). */
  keptWindow?: { rewrittenAt: string; retireAt: string };
  plan: string[];
  /** Warnings for the person, shown with the result. */
  warnings: string[];
}

/** A fresh state for `request`. */
export function newState(request: RotationRequest, deps: RotationDeps): RotationState {
  return {
    request,
    policy: deps.policy(request.profile),
    startedAtMs: deps.clock.now().getTime(),
    resumed: false,
    oldKeyId: '',
    files: [],
    userArn: '',
    userName: '',
    keys: [],
    ageDays: 0,
    dueAt: '',
    due: false,
    oldKeyAction: 'none',
    otherKeyAction: 'none',
    plan: [],
    warnings: [],
  };
}

/**
 * A warning for the person (a file's mode tightened, an mfa_serial to add): logged now (the log's warning
 * lines also reach the terminal) and carried in the result, so `--json` shows it too.
 */
export function addWarning(state: RotationState, deps: Pick<RotationDeps, 'logger'>, message: string): void {
  state.warnings.push(message);
  deps.logger.warn(message, { profile: state.request.profile });
}

/** The user name in an IAM user ARN (`arn:aws:iam::123:user/path/alice` → `alice`). */
export function userNameFromArn(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  return resource.startsWith('user/') ? (resource.split('/').pop() ?? '') : '';
}

/** The result document of a finished (or planned) rotation. */
export function resultOf(
  state: RotationState,
  deps: RotationDeps,
  outcome: RotationResult['outcome'],
): RotationResult {
  return {
    profile: state.request.profile,
    outcome,
    userArn: state.userArn,
    oldKeyId: state.oldKeyId,
    ...(state.newKey ? { newKeyId: state.newKey.accessKeyId } : {}),
    oldKeyAction: state.oldKeyAction,
    otherKeyAction: state.otherKeyAction,
    ...(state.oldKeyWindow ? { oldKeyWindow: state.oldKeyWindow } : {}),
    ...(state.backupId ? { backupId: state.backupId } : {}),
    ...(state.updated ? { updated: state.updated } : {}),
    durationMs: deps.clock.now().getTime() - state.startedAtMs,
    resumed: state.resumed,
    ageDays: state.ageDays,
    dueAt: state.dueAt,
    ...(outcome === 'dry-run' ? { plan: state.plan } : {}),
    ...(state.warnings.length > 0 ? { warnings: state.warnings } : {}),
  };
}
