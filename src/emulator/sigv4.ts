// Signature Version 4 verification: parse the Authorization header, then let @smithy/signature-v4 (the
// signer the AWS SDK itself uses) recompute the signature over exactly the headers the client signed.
import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError } from './api-error.js';
import { AWS_REGIONS } from './regions.js';

/** The parts of an `AWS4-HMAC-SHA256` Authorization header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  /** The credential scope: date (YYYYMMDD), region, service. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** The request as received, headers keyed in lower case. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string;
}

/** The secret side of the credentials the request claims to be signed with. */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

function incompleteSignature(): ApiError {
  return new ApiError(
    'IncompleteSignature',
    400,
    "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters " +
      'in the AWS4-HMAC-SHA256 format.',
  );
}

/** Parses an Authorization header, or throws `IncompleteSignature` as AWS does for malformed ones. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const text = header.trim();
  if (!text.startsWith(`${ALGORITHM} `)) throw incompleteSignature();
  const fields: Record<string, string> = {};
  for (const part of text.slice(ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const { Credential: credential, SignedHeaders: signedHeaders, Signature: signature } = fields;
  const scope = credential?.split('/');
  if (
    scope?.length !== 5 ||
    !scope[0] ||
    !/^\d{8}$/.test(scope[1]!) ||
    !scope[2] ||
    !scope[3] ||
    scope[4] !== 'aws4_request' ||
    !signedHeaders ||
    !signature ||
    !/^[0-9a-f]{64}$/.test(signature)
  ) {
    throw incompleteSignature();
  }
  return {
    accessKeyId: scope[0],
    scopeDate: scope[1]!,
    region: scope[2],
    service: scope[3],
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

/**
 * Refuses, as AWS does, a signature that does not cover the `host` header (it could be replayed against
 * another endpoint) or whose credential scope names a region AWS does not have.
 */
export function checkSignatureScope(auth: ParsedAuthorization): void {
  if (!auth.signedHeaders.some((name) => name.toLowerCase() === 'host')) {
    throw new ApiError(
      'SignatureDoesNotMatch',
      403,
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  if (!AWS_REGIONS.has(auth.region)) {
    throw new ApiError('SignatureDoesNotMatch', 403, 'Credential should be scoped to a valid region. ');
  }
}

/** Parses an `X-Amz-Date` value (`YYYYMMDDTHHMMSSZ`). */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** True when `auth.signature` is the SigV4 signature of `request` under `credentials`. */
export async function verifySignature(
  request: ReceivedRequest,
  auth: ParsedAuthorization,
  credentials: SigningCredentials,
  signingDate: Date,
): Promise<boolean> {
  // Hand the signer only the headers the client signed; it adds x-amz-date (and the session token)
  // itself, so the canonical request is built from exactly what the client covered.
  const signed = new Set(auth.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = request.headers[name];
    if (value === undefined) return false;
    if (name !== 'x-amz-date' && name !== 'x-amz-security-token') headers[name] = value;
  }
  if (signed.has('x-amz-security-token') !== (credentials.sessionToken !== undefined)) return false;
  const signer = new SignatureV4({
    credentials,
    region: auth.region,
    service: auth.service,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
    uriEscapePath: true,
  });
  const signedRequest = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: 'localhost',
      path: request.path,
      query: request.query,
      headers,
      body: request.body,
    }),
    { signingDate, signingRegion: auth.region, signingService: auth.service, signableHeaders: signed },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signedRequest.headers.authorization))?.[1];
  const signedList = /SignedHeaders=([^,\s]+)/.exec(String(signedRequest.headers.authorization))?.[1];
  if (!expected || signedList !== auth.signedHeaders.join(';')) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
}
