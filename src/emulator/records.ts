// Builders for new users and keys, shared by the IAM actions and the admin (seeding) side.
import { randomInt } from 'node:crypto';
import { newAccessKeyId, newSecretAccessKey, newUserId } from './ids.js';
import type { AccessKeyRecord, MfaDeviceRecord, UserRecord } from './state.js';
import { newTotpSecret } from './totp.js';
import { isoSeconds } from './xml.js';

/** A new IAM user record in `accountId`. */
export function newUserRecord(
  accountId: string,
  userName: string,
  createDate: Date,
  options: { admin?: boolean; mfaDevices?: readonly MfaDeviceKind[] } = {},
): UserRecord {
  const user: UserRecord = {
    userName,
    userId: newUserId(),
    arn: `arn:aws:iam::${accountId}:user/${userName}`,
    path: '/',
    createDate: isoSeconds(createDate),
    admin: options.admin ?? false,
  };
  const kinds = options.mfaDevices ?? [];
  if (kinds.length > 0) {
    user.mfaDevices = kinds.map((kind, i) => newMfaDevice(accountId, userName, createDate, kind, i));
  }
  return user;
}

/** A virtual MFA device (an app) or a hardware TOTP token. */
export type MfaDeviceKind = 'virtual' | 'hardware';

/**
 * An MFA device with a fresh TOTP secret. A virtual device's serial is an ARN (`…:mfa/alice`, then
 * `…:mfa/alice-2`); a hardware token's is the serial printed on it (`GAHT12345678`), not an ARN.
 */
export function newMfaDevice(
  accountId: string,
  userName: string,
  enableDate: Date,
  kind: MfaDeviceKind = 'virtual',
  index = 0,
): MfaDeviceRecord {
  const serialNumber =
    kind === 'hardware'
      ? `GAHT${String(randomInt(10 ** 8)).padStart(8, '0')}`
      : `arn:aws:iam::${accountId}:mfa/${userName}${index === 0 ? '' : `-${index + 1}`}`;
  return { serialNumber, secretBase32: newTotpSecret(), enableDate: isoSeconds(enableDate) };
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
