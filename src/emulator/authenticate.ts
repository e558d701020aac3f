// Who is calling: find the credentials the request names, honour propagation delay, verify the SigV4
// signature and the request time, and stamp the key's last use — in the order AWS reports failures.
import { createHash } from 'node:crypto';
import { ApiError, expiredToken, invalidClientTokenId, signatureDoesNotMatch } from './api-error.js';
import { recordKeyUse } from './last-used.js';
import { type ParsedAuthorization, parseAmzDate, type ReceivedRequest, verifySignature } from './sigv4.js';
import type { AccessKeyRecord, EmulatorState, SessionRecord, UserRecord } from './state.js';

/** The authenticated principal of a request. */
export interface Caller {
  user: UserRecord;
  /** The access key id the request was signed with (AKIA… or ASIA…). */
  accessKeyId: string;
  /** Set when signed with temporary credentials from GetSessionToken. */
  session?: SessionRecord;
  /** True for sessions obtained with a valid MFA code. */
  mfaAuthenticated: boolean;
  /** The service and region of the credential scope. */
  service: string;
  region: string;
}

/** What authentication needs to know about the emulator. */
export interface AuthenticationContext {
  state: EmulatorState;
  now: Date;
  propagationDelayMs: number;
  /** How long a key's use stays invisible to GetAccessKeyLastUsed (default 0). */
  lastUsedDelayMs?: number;
}

const MAX_SKEW_MS = 15 * 60 * 1000;

/** Whether a key authenticates at `now`: within the propagation window its previous state still holds. */
export function keyAuthenticates(key: AccessKeyRecord, now: number, propagationDelayMs: number): boolean {
  if (now - key.authChangedAt < propagationDelayMs) return key.authPreviouslyActive;
  return key.deletedAt === undefined && key.status === 'Active';
}

/** Authenticates a request or throws the ApiError AWS would answer with. */
export async function authenticate(
  request: ReceivedRequest,
  auth: ParsedAuthorization,
  context: AuthenticationContext,
): Promise<Caller> {
  const { state, now, propagationDelayMs } = context;
  const amzDateHeader = request.headers['x-amz-date'];
  const signingDate = parseAmzDate(amzDateHeader);
  if (!signingDate) {
    throw new ApiError(
      'IncompleteSignature',
      400,
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  const token = request.headers['x-amz-security-token'];
  let secretAccessKey: string;
  let session: SessionRecord | undefined;
  let key: AccessKeyRecord | undefined;
  if (token !== undefined) {
    session = state.session(auth.accessKeyId);
    if (!session || session.sessionToken !== token) throw invalidClientTokenId();
    secretAccessKey = session.secretAccessKey;
  } else {
    key = state.anyKey(auth.accessKeyId);
    if (!key || !keyAuthenticates(key, now.getTime(), propagationDelayMs)) throw invalidClientTokenId();
    secretAccessKey = key.secretAccessKey;
  }
  const user = state.user(session?.userName ?? key!.userName);
  if (!user) throw invalidClientTokenId();

  const contentHash = request.headers['x-amz-content-sha256'];
  if (
    contentHash !== undefined &&
    contentHash !== 'UNSIGNED-PAYLOAD' &&
    contentHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    throw new ApiError(
      'XAmzContentSHA256Mismatch',
      400,
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  }
  const credentials = { accessKeyId: auth.accessKeyId, secretAccessKey, sessionToken: token };
  if (!(await verifySignature(request, auth, credentials, signingDate))) throw signatureDoesNotMatch();

  const skew = signingDate.getTime() - now.getTime();
  if (skew < -MAX_SKEW_MS) {
    throw new ApiError(
      'RequestExpired',
      400,
      `Signature expired: ${amzDateHeader} is now earlier than ${amzDate(new Date(now.getTime() - MAX_SKEW_MS))} ` +
        `(${amzDate(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_SKEW_MS) {
    throw new ApiError(
      'RequestExpired',
      400,
      `Signature not yet current: ${amzDateHeader} is still later than ` +
        `${amzDate(new Date(now.getTime() + MAX_SKEW_MS))} (${amzDate(now)} + 15 min.)`,
    );
  }
  if (session && session.expiresAt <= now.getTime()) throw expiredToken();

  if (key) {
    const use = { date: now.toISOString(), serviceName: auth.service, region: auth.region };
    recordKeyUse(key, use, context.lastUsedDelayMs ?? 0);
    state.saveSoon();
  }
  return {
    user,
    accessKeyId: auth.accessKeyId,
    session,
    mfaAuthenticated: session?.mfaAuthenticated ?? false,
    service: auth.service,
    region: auth.region,
  };
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}
