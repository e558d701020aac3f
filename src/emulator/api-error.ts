// The AWS errors the emulator answers with. Codes, HTTP statuses and messages follow what IAM and STS
// send, so that SDK error mapping written against the emulator holds against AWS.

/** Who AWS blames for an error: the caller (`Sender`) or the service (`Receiver`). */
export type ErrorType = 'Sender' | 'Receiver';

/** An AWS Query-protocol error, rendered as an `ErrorResponse` document. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: string;
  readonly status: number;
  readonly type: ErrorType;

  constructor(code: string, status: number, message: string, type: ErrorType = 'Sender') {
    super(message);
    this.code = code;
    this.status = status;
    this.type = type;
  }
}

/** The key id is unknown, inactive, not yet propagated, or the token does not belong to it. */
export function invalidClientTokenId(): ApiError {
  return new ApiError('InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
}

/** The recomputed SigV4 signature differs from the one sent. */
export function signatureDoesNotMatch(): ApiError {
  return new ApiError(
    'SignatureDoesNotMatch',
    403,
    'The request signature we calculated does not match the signature you provided. ' +
      'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
}

/** A temporary credential past its expiration. */
export function expiredToken(): ApiError {
  return new ApiError('ExpiredToken', 403, 'The security token included in the request is expired');
}

/** One `ValidationError` in the wording IAM and STS use for a single failed constraint. */
export function validationError(field: string, value: string | undefined, constraint: string): ApiError {
  const shown = value === undefined ? 'null' : `'${value}'`;
  return new ApiError(
    'ValidationError',
    400,
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/** IAM's `AccessDenied` for a caller without permission on a resource. */
export function accessDenied(callerArn: string, action: string, resource: string, why?: string): ApiError {
  const reason = why ?? `because no identity-based policy allows the ${action} action`;
  return new ApiError(
    'AccessDenied',
    403,
    `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource} ${reason}`,
  );
}

/** IAM's `NoSuchEntity` (404). */
export function noSuchEntity(message: string): ApiError {
  return new ApiError('NoSuchEntity', 404, message);
}
