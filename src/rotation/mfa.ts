import { isAccessDenied } from '../aws/errors.js';
import type { AwsCredentials } from '../aws/types.js';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { RotationDeps } from './ports.js';
import { addWarning, type RotationState } from './state.js';

/**
 * Runs an IAM call signed with `base`, or with the MFA session once there is one. When IAM denies the
 * call, finds the MFA device (the profile's `mfa_serial`, or else the user's devices from
 * ListMFADevices, which AWS allows without MFA), asks the person for a code on a terminal (and, with
 * several devices, which one), gets an MFA session from STS and retries. Without a terminal it stops
 * with MFA_REQUIRED (exit 5) naming the device(s). A user with no MFA device gets the original denial.
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
    if (!isAccessDenied(error)) throw error;
    const { serial, prompt } = await mfaDevice(state, deps, base, error);
    const code = (await prompt(state.request.profile, serial)).trim();
    if (!/^\d{6}$/.test(code)) throw new KeyrotError('USAGE', 'an MFA code is six digits');
    state.mfaSession = await deps.sts.getSessionToken(base, { serialNumber: serial, tokenCode: code });
    deps.progress.step('mfa', `MFA session obtained with ${serial}`);
    return call(state.mfaSession);
  }
}

/**
 * The MFA device to ask a code of, after IAM denied `denied`, and how to ask: the profile's `mfa_serial`,
 * else the user's only device, else the one the person picks. Throws MFA_REQUIRED (exit 5) when there is
 * nobody to ask, and `denied` itself when the user has no device (then MFA is not what is missing).
 */
async function mfaDevice(
  state: RotationState,
  deps: RotationDeps,
  base: AwsCredentials,
  denied: unknown,
): Promise<{ serial: string; prompt: NonNullable<RotationDeps['promptMfaCode']> }> {
  const profile = state.request.profile;
  const configured = state.profile?.settings.mfa_serial;
  const serials = configured ? [configured] : await listDevices(state, deps, base, denied);
  const section = profile === 'default' ? '[default]' : `[profile ${profile}]`;
  const addSerial = (serial: string) =>
    `add \`mfa_serial = ${serial}\` to ${section} in ${deps.files.paths.configFile}`;
  const prompt = deps.promptMfaCode;
  if (!prompt || (serials.length > 1 && !deps.chooseMfaDevice)) {
    const run = `\`keyrot rotate-now --profile ${profile}\` in a terminal`;
    const hint = configured
      ? `Run ${run} and type the code of ${configured}.`
      : serials.length === 1
        ? `Run ${run} and type the code of ${serials[0]}; ${addSerial(serials[0]!)} so keyrot need not look it up.`
        : `The user has ${serials.length} MFA devices (${serials.join(', ')}): ${addSerial('ONE OF THEM')}, then run ${run}.`;
    throw new KeyrotError('MFA_REQUIRED', `profile "${profile}": IAM requires an MFA code to change keys`, {
      hint,
      cause: denied,
    });
  }
  const serial = serials.length === 1 ? serials[0]! : await deps.chooseMfaDevice!(profile, serials);
  if (!serials.includes(serial)) {
    throw new KeyrotError('USAGE', `${serial} is not one of the user's MFA devices (${serials.join(', ')})`);
  }
  if (!configured) {
    addWarning(
      state,
      deps,
      `profile ${profile} names no MFA device, so keyrot asked IAM: ${addSerial(serial)}.`,
    );
  }
  return { serial, prompt };
}

/** The user's MFA devices; rethrows `denied` when there are none or IAM will not say. */
async function listDevices(
  state: RotationState,
  deps: RotationDeps,
  base: AwsCredentials,
  denied: unknown,
): Promise<string[]> {
  let serials: string[];
  try {
    serials = await deps.iam.listMfaDevices(base, state.userName);
  } catch {
    throw denied;
  }
  if (serials.length === 0) throw denied;
  return serials;
}
