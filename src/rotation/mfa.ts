import { isAccessDenied } from '../aws/errors.js';
import type { AwsCredentials } from '../aws/types.js';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { RotationDeps } from './ports.js';
import type { RotationState } from './state.js';

/**
 * Runs an IAM call signed with `base`, or with the MFA session once there is one. When IAM denies the
 * call and the profile names an `mfa_serial`, asks the person for a code (on a terminal), gets an MFA
 * session from STS and retries; without a terminal it stops with MFA_REQUIRED (exit 5).
 */
export async function withMfa<T>(
  state: RotationState,
  deps: RotationDeps,
  base: AwsCredentials,
  call: (credentials: AwsCredentials) => Promise<T>,
): Promise<T> {
  if (state.mfaSession) return call(state.mfaSession);
  try {
    return await call(base);
  } catch (error) {
    const serial = state.profile?.settings.mfa_serial;
    if (!isAccessDenied(error) || !serial) throw error;
    const profile = state.request.profile;
    if (!deps.promptMfaCode) {
      throw new KeyrotError('MFA_REQUIRED', `profile "${profile}": IAM requires an MFA code to change keys`, {
        hint: `Run \`keyrot rotate-now --profile ${profile}\` in a terminal and type the code of ${serial}.`,
        cause: error,
      });
    }
    const code = (await deps.promptMfaCode(profile, serial)).trim();
    if (!/^\d{6}$/.test(code)) throw new KeyrotError('USAGE', 'an MFA code is six digits');
    state.mfaSession = await deps.sts.getSessionToken(base, { serialNumber: serial, tokenCode: code });
    deps.progress.step('mfa', 'MFA session obtained');
    return call(state.mfaSession);
  }
}
