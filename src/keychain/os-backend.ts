// The OS keychain backend of this platform, without the rest of the keychain (codec, index, lock):
// `keyrot credentials` needs only this and keyrot's service name in it (service-name.ts).
import type { OsStorePatience } from './secret-service/store.js';
import type { SecretStore } from './secret-store.js';

/**
 * The OS keychain backend of this platform. Linux talks to the Secret Service itself over one D-Bus
 * connection (@napi-rs/keyring opens a connection and a session per call: ~10 ms each); macOS and
 * Windows go through @napi-rs/keyring. Each is loaded only where it is used.
 */
export async function openOsStore(
  service: string,
  options: { patience?: OsStorePatience } = {},
): Promise<SecretStore> {
  if (process.platform === 'linux') {
    const { SecretServiceStore } = await import('./secret-service/store.js');
    return new SecretServiceStore(service, { patience: options.patience });
  }
  const { OsSecretStore } = await import('./os-store.js');
  return new OsSecretStore(service);
}
