// keyrot's service name in the OS keychain, on its own: the bin (src/bin.ts, through the agent's
// client) needs it without the keychain's code.

/** The keychain service name when KEYROT_KEYCHAIN_SERVICE is not set. */
export const DEFAULT_SERVICE = 'keyrot';

/** The keychain service name: KEYROT_KEYCHAIN_SERVICE, else `keyrot`. */
export function keychainService(env: NodeJS.ProcessEnv): string {
  return env.KEYROT_KEYCHAIN_SERVICE?.trim() || DEFAULT_SERVICE;
}
