import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import type { RotationDeps } from '../ports.js';
import { profileRefusal } from '../profile-kind.js';
import { type RotationState, userNameFromArn } from '../state.js';
import { askStsAhead, takeStsAhead } from '../sts-ahead.js';

/**
 * Reads the profile's static key from the files (no AWS call); refuses profiles keyrot does not rotate
 * (missing, session, SSO, role…). Returns the key id.
 */
export async function readProfileKey(state: RotationState, deps: RotationDeps): Promise<string> {
  const files = await deps.files.read();
  const { error, profile } = profileRefusal(files, state.request.profile, deps.files.paths);
  if (profile) state.profile = profile;
  if (error) throw error;
  const settings = profile.settings;
  state.oldKeyId = settings.aws_access_key_id!;
  state.oldCredentials = { accessKeyId: state.oldKeyId, secretAccessKey: settings.aws_secret_access_key! };
  return state.oldKeyId;
}

/**
 * Asks STS now who the profile's key (as last read) belongs to, for identify to take: the round trip
 * overlaps the keychain's instead of following it. Its failure is identify's, if identify takes it.
 */
export function identifyAhead(state: RotationState, deps: RotationDeps): void {
  if (state.oldCredentials) askStsAhead(state, deps, state.oldCredentials);
}

/** Step 2: reads the profile's static key again and, through STS, finds the IAM user it belongs to. */
export async function identify(state: RotationState, deps: RotationDeps): Promise<void> {
  const name = state.request.profile;
  await readProfileKey(state, deps);
  const credentials = state.oldCredentials!;
  const identity = await (takeStsAhead(state, credentials) ?? deps.sts.getCallerIdentity(credentials));
  state.userArn = identity.arn;
  if (/:root$/.test(identity.arn) && !deps.allowRoot) {
    throw new KeyrotError('ROOT_USER', `profile "${name}" holds an access key of the account's root user`, {
      hint: 'Root keys should be deleted, not rotated: create an IAM user for daily work.',
    });
  }
  state.userName = /:root$/.test(identity.arn) ? '' : userNameFromArn(identity.arn);
  if (!state.userName && !/:root$/.test(identity.arn)) {
    throw new KeyrotError(
      'UNSUPPORTED_PROFILE',
      `profile "${name}" does not sign in as an IAM user (${identity.arn})`,
      {
        hint: 'Only the long-term keys of IAM users can be rotated.',
      },
    );
  }
  deps.progress.step('identify', `${maskKeyId(state.oldKeyId)} belongs to ${identity.arn}`);
}
