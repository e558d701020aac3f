import { isAccessDenied } from '../aws/errors.js';
import type { AccessKeyInfo } from '../aws/types.js';
import { mergedProfileValues } from '../credentials/read.js';
import { describeError } from '../errors/describe-error.js';
import { isKeyrotError } from '../errors/keyrot-error.js';
import { keyAge } from '../time/days.js';
import type { RotationDeps } from './ports.js';
import { classifyProfile, type ProfileKind } from './profile-kind.js';

/** What `status` and the daemon know about one profile (key ids unmasked; mask when printing). */
export interface ProfileStatus {
  profile: string;
  kind: ProfileKind;
  /** Why keyrot does not rotate this profile, for kinds other than static. */
  refusal?: string;
  keyId?: string;
  userArn?: string;
  ageDays?: number;
  dueAt?: string;
  due?: boolean;
  /** Due within warn_days. */
  dueSoon?: boolean;
  keys?: AccessKeyInfo[];
  /** The phase of an unfinished rotation in the journal. */
  pendingRotation?: string;
  /** Why the age could not be read from IAM. */
  error?: { code: string; message: string };
}

/**
 * Reads the age, due date and keys of a profile from IAM, without changing anything or prompting. With
 * `deps.sts`, also the key's user ARN (`setup` says a key works by it); without, ListAccessKeys alone
 * proves the key, one request less (`status` shows no ARN).
 */
export async function inspectProfile(
  profile: string,
  deps: Pick<RotationDeps, 'iam' | 'files' | 'clock' | 'policy'> &
    Partial<Pick<RotationDeps, 'sts' | 'journal'>>,
): Promise<ProfileStatus> {
  const settings = mergedProfileValues(await deps.files.read(), profile);
  if (!settings) {
    return { profile, kind: 'none', refusal: `profile "${profile}" is in neither AWS file` };
  }
  const classified = classifyProfile(profile, settings);
  const status: ProfileStatus = { profile, kind: classified.kind };
  if (settings.aws_access_key_id) status.keyId = settings.aws_access_key_id;
  if (classified.refusal) {
    status.refusal = classified.refusal;
    return status;
  }
  const pending = await deps.journal?.find(settings.aws_access_key_id!).catch(() => null);
  if (pending) status.pendingRotation = pending.phase;
  const credentials = {
    accessKeyId: settings.aws_access_key_id!,
    secretAccessKey: settings.aws_secret_access_key!,
  };
  // Both at once: ListAccessKeys without a user name lists the keys of the user who signs it, the
  // user GetCallerIdentity names. Its error counts only when GetCallerIdentity succeeded.
  const identity = deps.sts?.getCallerIdentity(credentials);
  const keys = deps.iam.listAccessKeys(credentials, '');
  keys.catch(() => undefined);
  try {
    if (identity) status.userArn = (await identity).arn;
    status.keys = await keys;
  } catch (error) {
    const code =
      isAccessDenied(error) && settings.mfa_serial
        ? 'MFA_REQUIRED'
        : isKeyrotError(error)
          ? error.code
          : 'AWS_ERROR';
    status.error = { code, message: describeError(error).message };
    return status;
  }
  const current = status.keys.find((k) => k.accessKeyId === credentials.accessKeyId);
  if (current) {
    const policy = deps.policy(profile);
    const age = keyAge(current.createDate, policy, deps.clock.now());
    status.ageDays = age.ageDays;
    status.dueAt = age.dueAt.toISOString();
    status.due = age.due;
    status.dueSoon = age.dueSoon;
  }
  return status;
}
