// IAM actions: users may read and manage only their own keys unless they are admins; users under the
// MFA policy need an MFA-authenticated session to change keys; at most two keys per user.
import {
  type ActionContext,
  type ActionHandler,
  accessKeyIdParam,
  integerParam,
  requiredParam,
  userNameParam,
} from './action.js';
import { ApiError, accessDenied, invalidClientTokenId, noSuchEntity, validationError } from './api-error.js';
import { type Caller, keyAuthenticates } from './authenticate.js';
import { visibleLastUse } from './last-used.js';
import { newKeyRecord } from './records.js';
import type { AccessKeyRecord, UserRecord } from './state.js';
import type { XmlElements } from './xml.js';

const ACCESS_KEYS_PER_USER = 2;

/**
 * IAM refuses session credentials obtained without MFA (only MFA-backed GetSessionToken credentials may
 * call IAM); it answers as for an unknown token.
 */
export function checkIamCaller(caller: Caller): void {
  if (caller.session && !caller.mfaAuthenticated) throw invalidClientTokenId();
}

/** The user an action targets (`UserName` or the caller), after the permission check. */
function targetUser(context: ActionContext, iamAction: string): UserRecord {
  const { caller, state } = context;
  const name = userNameParam(context.params) ?? caller.user.userName;
  if (name !== caller.user.userName && !caller.user.admin) {
    throw accessDenied(caller.user.arn, iamAction, `user ${name}`);
  }
  const user = state.user(name);
  if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return user;
}

/** The explicit deny of AWS's "manage your own credentials only with MFA" policy. */
function requireMfa(context: ActionContext, iamAction: string, target: UserRecord): void {
  const { caller } = context;
  if (caller.user.mfaDevices?.length && !caller.mfaAuthenticated) {
    throw accessDenied(
      caller.user.arn,
      iamAction,
      `user ${target.userName}`,
      'with an explicit deny in an identity-based policy: MFA is required ' +
        '(aws:MultiFactorAuthPresent is false; call sts GetSessionToken with SerialNumber and TokenCode)',
    );
  }
}

function ownedKey(target: UserRecord, context: ActionContext, accessKeyId: string): AccessKeyRecord {
  const key = context.state.liveKey(accessKeyId);
  if (!key || key.userName !== target.userName) {
    throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
  }
  return key;
}

/** Splits `items` into the page asked for by `Marker`/`MaxItems` (default 100, as IAM). */
function paginate<T>(params: Record<string, string>, items: T[]): { page: T[]; marker?: string } {
  const maxItems = integerParam(params, 'MaxItems', 'maxItems', 1, 1000) ?? 100;
  let start = 0;
  if (params.Marker !== undefined) {
    const decoded = /^keyrot-marker:(\d+)$/.exec(Buffer.from(params.Marker, 'base64').toString('utf8'));
    if (!decoded) throw validationError('marker', params.Marker, 'Member must be a marker returned by IAM');
    start = Number(decoded[1]);
  }
  const page = items.slice(start, start + maxItems);
  const next = start + maxItems;
  return next < items.length
    ? { page, marker: Buffer.from(`keyrot-marker:${next}`).toString('base64') }
    : { page };
}

function truncation(marker: string | undefined): XmlElements {
  return { IsTruncated: marker !== undefined, Marker: marker };
}

function userElements(user: UserRecord): XmlElements {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: user.createDate,
  };
}

const getUser: ActionHandler = (context) => {
  const user = targetUser(context, 'iam:GetUser');
  return { User: userElements(user) };
};

const listAccessKeys: ActionHandler = (context) => {
  const user = targetUser(context, 'iam:ListAccessKeys');
  const { page, marker } = paginate(context.params, context.state.userKeys(user.userName));
  return {
    UserName: user.userName,
    AccessKeyMetadata: page.map((key) => ({
      UserName: key.userName,
      AccessKeyId: key.accessKeyId,
      Status: key.status,
      CreateDate: key.createDate,
    })),
    ...truncation(marker),
  };
};

const createAccessKey: ActionHandler = async (context) => {
  const user = targetUser(context, 'iam:CreateAccessKey');
  requireMfa(context, 'iam:CreateAccessKey', user);
  if (context.state.userKeys(user.userName).length >= ACCESS_KEYS_PER_USER) {
    throw new ApiError(
      'LimitExceeded',
      409,
      `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`,
    );
  }
  const key = newKeyRecord(user.userName, context.now, { propagated: context.propagationDelayMs === 0 });
  context.state.addKey(key);
  await context.state.save();
  return {
    AccessKey: {
      UserName: key.userName,
      AccessKeyId: key.accessKeyId,
      Status: key.status,
      SecretAccessKey: key.secretAccessKey,
      CreateDate: key.createDate,
    },
  };
};

const updateAccessKey: ActionHandler = async (context) => {
  const accessKeyId = accessKeyIdParam(context.params);
  const status = requiredParam(context.params, 'Status', 'status');
  if (status !== 'Active' && status !== 'Inactive') {
    throw validationError('status', status, 'Member must satisfy enum value set: [Active, Inactive]');
  }
  const user = targetUser(context, 'iam:UpdateAccessKey');
  requireMfa(context, 'iam:UpdateAccessKey', user);
  const key = ownedKey(user, context, accessKeyId);
  if (key.status !== status) {
    const now = context.now.getTime();
    // The old state keeps holding for the propagation window, as AWS warns.
    key.authPreviouslyActive = keyAuthenticates(key, now, context.propagationDelayMs);
    key.authChangedAt = now;
    key.status = status;
    await context.state.save();
  }
  return undefined;
};

const deleteAccessKey: ActionHandler = async (context) => {
  const accessKeyId = accessKeyIdParam(context.params);
  const user = targetUser(context, 'iam:DeleteAccessKey');
  requireMfa(context, 'iam:DeleteAccessKey', user);
  const key = ownedKey(user, context, accessKeyId);
  const now = context.now.getTime();
  key.authPreviouslyActive = keyAuthenticates(key, now, context.propagationDelayMs);
  key.authChangedAt = now;
  context.state.deleteKey(key, now, context.propagationDelayMs > 0);
  await context.state.save();
  return undefined;
};

const getAccessKeyLastUsed: ActionHandler = (context) => {
  const accessKeyId = accessKeyIdParam(context.params);
  const { caller, state } = context;
  const key = state.liveKey(accessKeyId);
  if (key && key.userName !== caller.user.userName && !caller.user.admin) {
    throw accessDenied(caller.user.arn, 'iam:GetAccessKeyLastUsed', `user ${key.userName}`);
  }
  if (!key) throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
  const hadPending = Boolean(key.pendingUses?.length);
  const used = visibleLastUse(key, context.now, context.lastUsedDelayMs ?? 0);
  if (hadPending) state.saveSoon();
  return {
    UserName: key.userName,
    AccessKeyLastUsed: used
      ? {
          LastUsedDate: used.date.replace(/\.\d{3}Z$/, 'Z'),
          ServiceName: used.serviceName,
          Region: used.region,
        }
      : { ServiceName: 'N/A', Region: 'N/A' },
  };
};

const listMfaDevices: ActionHandler = (context) => {
  const user = targetUser(context, 'iam:ListMFADevices');
  const devices = user.mfaDevices ?? [];
  const { page, marker } = paginate(context.params, devices);
  return {
    MFADevices: page.map((device) => ({
      UserName: user.userName,
      SerialNumber: device.serialNumber,
      EnableDate: device.enableDate,
    })),
    ...truncation(marker),
  };
};

/** The IAM actions the emulator implements, by action name. */
export const iamActions: Record<string, ActionHandler> = {
  GetUser: getUser,
  ListAccessKeys: listAccessKeys,
  CreateAccessKey: createAccessKey,
  UpdateAccessKey: updateAccessKey,
  DeleteAccessKey: deleteAccessKey,
  GetAccessKeyLastUsed: getAccessKeyLastUsed,
  ListMFADevices: listMfaDevices,
};
