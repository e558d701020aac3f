// STS actions: who am I, and temporary credentials (MFA-authenticated when a valid TOTP code is given).
import { type ActionHandler, integerParam } from './action.js';
import { ApiError, validationError } from './api-error.js';
import { newSecretAccessKey, newSessionToken, newTemporaryKeyId } from './ids.js';
import { totpStep } from './totp.js';

const DEFAULT_SESSION_SECONDS = 43_200;

const getCallerIdentity: ActionHandler = ({ caller, state }) => ({
  UserId: caller.user.userId,
  Account: state.accountId,
  Arn: caller.user.arn,
});

const getSessionToken: ActionHandler = async ({ caller, params, state, now, allowMfaCodeReuse }) => {
  const duration =
    integerParam(params, 'DurationSeconds', 'durationSeconds', 900, 129_600) ?? DEFAULT_SESSION_SECONDS;
  const serial = params.SerialNumber;
  const code = params.TokenCode;
  if (code !== undefined && !/^\d{6}$/.test(code)) {
    throw validationError(
      'tokenCode',
      code,
      'Member must satisfy regular expression pattern: [\\d]* and have length 6',
    );
  }
  if (serial !== undefined && (serial.length < 9 || serial.length > 256)) {
    throw validationError('serialNumber', serial, 'Member must have length between 9 and 256');
  }
  if (caller.session) {
    throw new ApiError('AccessDenied', 403, 'Cannot call GetSessionToken with session credentials');
  }
  let mfaAuthenticated = false;
  if (serial !== undefined || code !== undefined) {
    const device = caller.user.mfaDevices?.find((candidate) => candidate.serialNumber === serial);
    if (code === undefined || serial === undefined || !device) {
      throw new ApiError(
        'AccessDenied',
        403,
        'MultiFactorAuthentication failed, unable to validate MFA code. ' +
          'Please verify your MFA serial number is valid and associated with this user.',
      );
    }
    const step = totpStep(device.secretBase32, code, now);
    // A code is good once: AWS refuses one already used, in the same words as a wrong one.
    const reused = step !== undefined && device.lastUsedStep !== undefined && step <= device.lastUsedStep;
    if (step === undefined || (reused && !allowMfaCodeReuse)) {
      throw new ApiError(
        'AccessDenied',
        403,
        'MultiFactorAuthentication failed with invalid MFA one time pass code. ',
      );
    }
    device.lastUsedStep = Math.max(step, device.lastUsedStep ?? step);
    mfaAuthenticated = true;
  }
  const session = {
    accessKeyId: newTemporaryKeyId(),
    secretAccessKey: newSecretAccessKey(),
    sessionToken: newSessionToken(),
    userName: caller.user.userName,
    expiresAt: now.getTime() + duration * 1000,
    mfaAuthenticated,
    sourceKeyId: caller.accessKeyId,
  };
  state.addSession(session);
  await state.save();
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: new Date(session.expiresAt).toISOString(),
    },
  };
};

/** The STS actions the emulator implements, by action name. */
export const stsActions: Record<string, ActionHandler> = {
  GetCallerIdentity: getCallerIdentity,
  GetSessionToken: getSessionToken,
};
