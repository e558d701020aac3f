// The rotation's AWS shared files port (src/rotation/ports.ts CredentialFilesPort) over the credentials
// engine, with protected profiles' keys from the keychain once it is open. Apart from rotation-deps.ts so
// that `keyrot status` and `setup` get it without the rotation's logger, notifier, locks and keychain.
import { readFile } from 'node:fs/promises';
import { keyrotProcessProfile } from '../credentials/credential-process.js';
import { filesHoldingKey, mergedProfileValues, readSharedFiles, replaceKeyId } from '../credentials/index.js';
import { resolveAwsFilePaths } from '../credentials/paths.js';
import { checkReplaceable } from '../fs/replaceable.js';
import type { ProtectedKey, ProtectedKeys } from '../keychain/protected-key.js';
import type { CredentialFilesPort, SharedProfiles } from '../rotation/ports.js';
import type { CommandContext } from './context.js';

/**
 * The AWS shared files port over the credentials engine. With `protectedKeys` (once the keychain is
 * open), a protected profile reads as the static key its keychain entry holds, as the AWS tools get it
 * through `keyrot credentials`, and a rotation writes the new key into that entry.
 */
export function credentialFilesPort(
  env: NodeJS.ProcessEnv,
  globals: CommandContext['globals'],
  protectedKeys: () => ProtectedKeys | undefined = () => undefined,
): CredentialFilesPort {
  const paths = resolveAwsFilePaths(env, {
    credentialsFile: globals.credentialsFile,
    configFile: globals.awsConfigFile,
  });
  return {
    paths,
    async read(): Promise<SharedProfiles> {
      const files = await readSharedFiles(paths);
      const keys = protectedKeys();
      if (keys) await withProtectedKeys(files, keys, paths.configFile);
      return { credentials: files.credentials, config: files.config };
    },
    async readBytes(file) {
      try {
        return await readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    holding: (keyId) => filesHoldingKey(paths, keyId),
    async checkReplaceable(files, options) {
      for (const file of files) await checkReplaceable(file.path, options);
    },
    async replaceKeyId(files, oldKeyId, next, warn) {
      const updated = await replaceKeyId(files, oldKeyId, next, { warn });
      const keys = protectedKeys();
      const moved = keys ? await replaceProtectedKey(keys, paths, oldKeyId, next) : [];
      return moved.length > 0
        ? [...updated, { file: 'the OS keychain (protected)', profiles: moved }]
        : updated;
    },
  };
}

/** The protected profiles of `configFile` (credential_process runs keyrot for them), with their entries. */
async function protectedEntries(
  config: SharedProfiles['config'],
  keys: ProtectedKeys,
  configFile: string,
): Promise<ProtectedKey[]> {
  const entries: ProtectedKey[] = [];
  for (const [name, values] of config) {
    if (keyrotProcessProfile(values.credential_process) !== name) continue;
    const entry = await keys.get(name, configFile);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** Puts each protected profile's key from the keychain into `files` (a key line left in a file wins, as in the AWS tools). */
async function withProtectedKeys(
  files: SharedProfiles,
  keys: ProtectedKeys,
  configFile: string,
): Promise<void> {
  for (const entry of await protectedEntries(files.config, keys, configFile)) {
    if (mergedProfileValues(files, entry.profile)?.aws_access_key_id) continue;
    files.credentials.set(entry.profile, {
      ...files.credentials.get(entry.profile),
      aws_access_key_id: entry.accessKeyId,
      aws_secret_access_key: entry.secretAccessKey,
    });
  }
}

/** Puts `next` into every protected profile's entry that holds `oldKeyId`; returns those profiles. */
async function replaceProtectedKey(
  keys: ProtectedKeys,
  paths: { credentialsFile: string; configFile: string },
  oldKeyId: string,
  next: { accessKeyId: string; secretAccessKey: string },
): Promise<string[]> {
  const { config } = await readSharedFiles(paths);
  const moved: string[] = [];
  for (const entry of await protectedEntries(config, keys, paths.configFile)) {
    if (entry.accessKeyId !== oldKeyId) continue;
    await keys.put({ ...entry, ...next, updatedAt: new Date().toISOString() });
    moved.push(entry.profile);
  }
  return moved;
}
