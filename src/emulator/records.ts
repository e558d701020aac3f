// Builders for new users and keys, shared by the IAM actions and the admin (seeding) side.
import { newAccessKeyId, newSecretAccessKey, newUserId } from './ids.js';
import type { AccessKeyRecord, MfaDeviceRecord, UserRecord } from './state.js';
import { newTotpSecret } from './totp.js';
import { isoSeconds } from './xml.js';

/** A new IAM user record in `accountId`. */
export function newUserRecord(
  accountId: string,
  userName: string,
  createDate: Date,
  options: { admin?: boolean; mfa?: boolean } = {},
): UserRecord {
  const user: UserRecord = {
    userName,
    userId: newUserId(),
    arn: `arn:aws:iam::${accountId}:user/${userName}`,
    path: '/',
    createDate: isoSeconds(createDate),
    admin: options.admin ?? false,
  };
  if (options.mfa) user.mfa = newMfaDevice(accountId, userName, createDate);
  return user;
}

/** A virtual MFA device for a user, with a fresh TOTP secret. */
export function newMfaDevice(accountId: string, userName: string, enableDate: Date): MfaDeviceRecord {
  return {
    serialNumber: `arn:aws:iam::${accountId}:mfa/${userName}`,
    secretBase32: newTotpSecret(),
    enableDate: isoSeconds(enableDate),
  };
}

/**
 * A new access key. `createdAt` starts its propagation window; `createDate` (default `createdAt`) is the
 * date IAM reports, which seeding backdates. `propagated` keys authenticate at once.
 */
export function newKeyRecord(
  userName: string,
  createdAt: Date,
  options: { createDate?: Date; status?: 'Active' | 'Inactive'; propagated?: boolean } = {},
): AccessKeyRecord {
  const status = options.status ?? 'Active';
  return {
    accessKeyId: newAccessKeyId(),
    secretAccessKey: newSecretAccessKey(),
    userName,
    status,
    createDate: isoSeconds(options.createDate ?? createdAt),
    authChangedAt: options.propagated ? 0 : createdAt.getTime(),
    authPreviouslyActive: false,
  };
}
