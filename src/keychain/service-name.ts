// keyrot's service name in the OS keychain, and which keychain a backend opens, on their own: the bin
// (src/bin.ts, through the agent's client) needs them without the keychain's code.

/** The keychain service name when KEYROT_KEYCHAIN_SERVICE is not set. */
const DEFAULT_SERVICE = 'keyrot';

/** The keychain service name: KEYROT_KEYCHAIN_SERVICE, else `keyrot`. */
export function keychainService(env: NodeJS.ProcessEnv): string {
  return env.KEYROT_KEYCHAIN_SERVICE?.trim() || DEFAULT_SERVICE;
}

/**
 * Which keychain a backend and environment open, for records kept outside it (src/state/journal-empty.ts):
 * `file` (the file backend, under the state directory) or `os:<service>`.
 */
export function keychainIdentity(backend: 'os' | 'file', env: NodeJS.ProcessEnv): string {
  return backend === 'file' ? 'file' : `os:${keychainService(env)}`;
}
