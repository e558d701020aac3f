// Routes an AWS Query-protocol request to IAM or STS by the SigV4 credential scope's service,
// authenticates it, runs the action and renders the XML reply (or the ErrorResponse).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import type { ActionHandler } from './action.js';
import { ApiError } from './api-error.js';
import { authenticate } from './authenticate.js';
import { checkIamCaller, iamActions } from './iam-actions.js';
import {
  checkSignatureScope,
  type ParsedAuthorization,
  parseAuthorization,
  type ReceivedRequest,
} from './sigv4.js';
import type { EmulatorState } from './state.js';
import { stsActions } from './sts-actions.js';
import { IAM_NAMESPACE, renderError, renderResult, STS_NAMESPACE } from './xml.js';

/** The two services the emulator answers for. */
export type ServiceName = 'iam' | 'sts';

/** A request after routing: which service and action it is for, with its parameters. */
export interface RoutedRequest {
  service: ServiceName;
  /** The `Action` parameter (may name an action the emulator does not implement). */
  action: string | undefined;
  params: Record<string, string>;
  auth: ParsedAuthorization | undefined;
  /** A malformed Authorization header, reported once the request is handled. */
  authError: ApiError | undefined;
}

/** An HTTP reply ready to send. */
export interface ApiReply {
  status: number;
  body: string;
  requestId: string;
  /** The error code, for logs; undefined on success. */
  errorCode?: string;
}

/** What handling a request needs from the running emulator. */
export interface RouterContext {
  state: EmulatorState;
  clock: Clock;
  propagationDelayMs: number;
  /** How long a key's use stays invisible to GetAccessKeyLastUsed (default 0). */
  lastUsedDelayMs?: number;
  allowMfaCodeReuse?: boolean;
}

const VERSIONS: Record<ServiceName, string> = { iam: '2010-05-08', sts: '2011-06-15' };
const NAMESPACES: Record<ServiceName, string> = { iam: IAM_NAMESPACE, sts: STS_NAMESPACE };
const ACTIONS: Record<ServiceName, Record<string, ActionHandler>> = { iam: iamActions, sts: stsActions };

/** Reads the form parameters (query string, then body) and decides the service and action. */
export function routeRequest(request: ReceivedRequest): RoutedRequest {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query)) {
    params[name] = Array.isArray(value) ? (value[value.length - 1] ?? '') : value;
  }
  if (request.body.length > 0) {
    for (const [name, value] of new URLSearchParams(request.body)) params[name] = value;
  }
  let auth: ParsedAuthorization | undefined;
  let authError: ApiError | undefined;
  const header = request.headers.authorization;
  if (header !== undefined) {
    try {
      auth = parseAuthorization(header);
    } catch (error) {
      authError = error as ApiError;
    }
  }
  const byVersion: ServiceName = params.Version === VERSIONS.sts ? 'sts' : 'iam';
  const service = auth?.service === 'iam' || auth?.service === 'sts' ? auth.service : byVersion;
  return { service, action: params.Action, params, auth, authError };
}

/** Authenticates and runs a routed request, always producing a reply (errors become ErrorResponse). */
export async function handleApiRequest(
  routed: RoutedRequest,
  request: ReceivedRequest,
  context: RouterContext,
): Promise<ApiReply> {
  const requestId = randomUUID();
  const namespace = NAMESPACES[routed.service];
  try {
    const result = await runAction(routed, request, context);
    return { status: 200, body: renderResult(routed.action!, namespace, result, requestId), requestId };
  } catch (caught) {
    const error =
      caught instanceof ApiError
        ? caught
        : new ApiError(
            routed.service === 'iam' ? 'ServiceFailure' : 'InternalFailure',
            500,
            'The request processing has failed because of an unknown error, exception or failure.',
            'Receiver',
          );
    return {
      status: error.status,
      body: renderError(namespace, error, requestId),
      requestId,
      errorCode: error.code,
    };
  }
}

async function runAction(routed: RoutedRequest, request: ReceivedRequest, context: RouterContext) {
  const { auth, service, params } = routed;
  if (routed.authError) throw routed.authError;
  if (!auth) throw new ApiError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
  if (auth.service !== service) {
    throw new ApiError(
      'SignatureDoesNotMatch',
      403,
      `Credential should be scoped to correct service: '${service}'. `,
    );
  }
  checkSignatureScope(auth);
  const now = context.clock.now();
  context.state.purge(now.getTime(), context.propagationDelayMs);
  const caller = await authenticate(request, auth, {
    state: context.state,
    now,
    propagationDelayMs: context.propagationDelayMs,
    lastUsedDelayMs: context.lastUsedDelayMs,
  });
  const action = routed.action;
  if (!action) throw new ApiError('MissingAction', 400, 'Missing Action');
  const handler = Object.hasOwn(ACTIONS[service], action) ? ACTIONS[service][action] : undefined;
  if (!handler) {
    throw new ApiError(
      'InvalidAction',
      400,
      `Could not find operation ${action} for version ${VERSIONS[service]}`,
    );
  }
  if (service === 'iam') checkIamCaller(caller);
  return handler({
    caller,
    params,
    state: context.state,
    now,
    propagationDelayMs: context.propagationDelayMs,
    lastUsedDelayMs: context.lastUsedDelayMs,
    allowMfaCodeReuse: context.allowMfaCodeReuse,
  });
}

/** The reply for an injected `500` or `throttle` fault, as IAM/STS send them. */
export function faultReply(service: ServiceName, kind: '500' | 'throttle'): ApiReply {
  const requestId = randomUUID();
  const error =
    kind === 'throttle'
      ? new ApiError('Throttling', 400, 'Rate exceeded')
      : new ApiError(
          service === 'iam' ? 'ServiceFailure' : 'InternalFailure',
          500,
          'The request processing has failed because of an unknown error, exception or failure.',
          'Receiver',
        );
  return {
    status: error.status,
    body: renderError(NAMESPACES[service], error, requestId),
    requestId,
    errorCode: error.code,
  };
}
