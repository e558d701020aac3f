// GetCallerIdentity asked ahead of the step that needs it, so its round trip overlaps keychain work
// instead of following it: identify's for the profile's key while the journal is read, proveKey's first
// try for the new key while that key is journaled. It only reads; its answer, or its failure, counts only
// when that step takes it, for exactly the key it was asked with.
import type { AwsCredentials, CallerIdentity } from '../aws/types.js';
import type { RotationDeps } from './ports.js';
import type { RotationState } from './state.js';

/** Asks STS now whom `credentials` belong to, for a later step to take (takeStsAhead). */
export function askStsAhead(state: RotationState, deps: RotationDeps, credentials: AwsCredentials): void {
  const identity = deps.sts.getCallerIdentity(credentials);
  identity.catch(() => undefined);
  state.stsAhead = { credentials, identity };
}

/** The answer asked ahead for `credentials` (the same key and secret), taken once; else undefined. */
export function takeStsAhead(
  state: RotationState,
  credentials: AwsCredentials,
): Promise<CallerIdentity> | undefined {
  const ahead = state.stsAhead;
  state.stsAhead = undefined;
  const same =
    ahead?.credentials.accessKeyId === credentials.accessKeyId &&
    ahead.credentials.secretAccessKey === credentials.secretAccessKey;
  return same ? ahead.identity : undefined;
}
