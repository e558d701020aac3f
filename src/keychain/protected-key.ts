// The key of a protected profile (`keyrot protect`): one small entry per profile straight in the raw
// keychain backend, so that `keyrot credentials` reads it with one lookup and no index, codec or lock.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SecretStore } from './secret-store.js';

/**
 * Where a protection stands: `protecting` and `unprotecting` are the journal of an unfinished
 * `keyrot protect`/`unprotect` (the next run of either finishes it); `protected` once it is done.
 */
export type ProtectionPhase = 'protecting' | 'protected' | 'unprotecting';

/** One protected profile's static key, as kept in the keychain (it holds the secret: keychain only). */
export interface ProtectedKey {
  v: 1;
  /** The profile as the SDK names it. */
  profile: string;
  /** The AWS config file whose `credential_process` line reads this entry (absolute). */
  configFile: string;
  accessKeyId: string;
  secretAccessKey: string;
  phase: ProtectionPhase;
  /** What protect found and changed, so that unprotect undoes exactly that (absent in older entries). */
  origin?: ProtectionOrigin;
  /** ISO 8601. */
  updatedAt: string;
}

/** Where a protected profile's key lines were, and whether protect appended its config section. */
export interface ProtectionOrigin {
  /** The file whose key lines the AWS tools read before protect (unprotect puts them back there). */
  keyIn: 'credentials' | 'config';
  /** Set when protect appended `[profile P]` to the config file, with the text it put before it. */
  addedSection?: { lead: string };
  /** Set when the config file did not exist before protect: unprotect removes it again once it is empty. */
  createdConfigFile?: true;
}

const PREFIX = 'protected:';

/**
 * The entry's account name: the profile and a hash of the config file's absolute path, so the same
 * profile name in two config files (tests, several AWS setups) never shares an entry.
 */
export function protectedKeyAccount(profile: string, configFile: string): string {
  const hash = createHash('sha256').update(resolve(configFile)).digest('hex').slice(0, 12);
  return `${PREFIX}${hash}:${profile}`;
}

/** Parses an entry's text; KEYCHAIN_CORRUPT (never the text itself: it holds a secret) when it is not one. */
export function parseProtectedKey(text: string, profile: string): ProtectedKey {
  let value: Partial<ProtectedKey> | undefined;
  try {
    value = JSON.parse(text) as Partial<ProtectedKey>;
  } catch {
    value = undefined;
  }
  if (
    value?.v !== 1 ||
    typeof value.accessKeyId !== 'string' ||
    typeof value.secretAccessKey !== 'string' ||
    typeof value.configFile !== 'string'
  ) {
    throw new KeyrotError(
      'KEYCHAIN_CORRUPT',
      `the keychain entry of protected profile "${profile}" is damaged`,
      {
        hint: `Run \`keyrot unprotect --profile ${profile}\` after putting the key back with \`keyrot backup restore\`.`,
      },
    );
  }
  return value as ProtectedKey;
}

/** The protected profiles' keys in the keychain; every write is read back before it counts. */
export class ProtectedKeys {
  /** @param store the keychain's raw backend (one entry per profile, well under every backend's size cap). */
  constructor(private readonly store: SecretStore) {}

  /** The entry of `profile` in `configFile`, or null. */
  async get(profile: string, configFile: string): Promise<ProtectedKey | null> {
    const text = await this.store.get(protectedKeyAccount(profile, configFile));
    return text === null ? null : parseProtectedKey(text, profile);
  }

  /** Stores (creates or replaces) an entry and reads it back. */
  async put(entry: ProtectedKey): Promise<void> {
    const account = protectedKeyAccount(entry.profile, entry.configFile);
    const text = JSON.stringify(entry);
    await this.store.set(account, text);
    if ((await this.store.get(account)) !== text) {
      throw new KeyrotError(
        'KEYCHAIN_FAILED',
        `the keychain did not keep the key of protected profile "${entry.profile}"`,
      );
    }
  }

  /** Removes an entry (and the secret in it); true when there was one. */
  async delete(profile: string, configFile: string): Promise<boolean> {
    const account = protectedKeyAccount(profile, configFile);
    const found = await this.store.delete(account);
    if ((await this.store.get(account)) !== null) {
      throw new KeyrotError('KEYCHAIN_FAILED', `the keychain kept the key of protected profile "${profile}"`);
    }
    return found;
  }
}
