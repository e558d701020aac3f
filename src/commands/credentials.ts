// `keyrot credentials --profile P`: the `credential_process` of a protected profile. Every AWS CLI call
// and SDK client start pays for it, so it loads only the OS keychain backend: no settings, no logger,
// no SDK, no network. It prints the key on stdout (its one job) and nothing else there.

import type { KeyReader } from '../agent/idle-reader.js';
import { resolveAwsFilePaths } from '../credentials/paths.js';
import { writeCredentialProcess } from '../credentials/process-output.js';
import { KeyrotError } from '../errors/keyrot-error.js';
import { openOsStore } from '../keychain/os-backend.js';
import { ProtectedKeys } from '../keychain/protected-key.js';
import { keychainService } from '../keychain/service-name.js';
import type { TextSink } from '../platform/direct-stdout.js';

/** How long a keychain that does not answer is waited for: the AWS CLI waits for us without a limit. */
const PATIENCE_MS = 10_000;

/** What `keyrot credentials` needs. */
export interface CredentialsInput {
  profile?: string;
  /** `--aws-config-file`, else AWS_CONFIG_FILE or ~/.aws/config (the file whose credential_process ran us). */
  awsConfigFile?: string;
}

/**
 * Prints the profile's key from the keychain as credential_process JSON (Version 1) on `stdout`.
 * Throws KeyrotError (never with the secret) when it cannot: the caller turns it into stderr and an exit code.
 */
export async function printProtectedCredentials(
  input: CredentialsInput,
  io: { env: NodeJS.ProcessEnv; stdout: TextSink },
): Promise<void> {
  const profile = input.profile;
  if (!profile) throw new KeyrotError('USAGE', 'keyrot credentials needs --profile NAME');
  const { configFile } = resolveAwsFilePaths(io.env, { configFile: input.awsConfigFile });
  const store = await openOsStore(keychainService(io.env), { patience: { totalMs: PATIENCE_MS } });
  try {
    const entry = await new ProtectedKeys(store).get(profile, configFile).catch((error: unknown) => {
      throw forAwsTools(error, profile);
    });
    if (!entry) {
      throw new KeyrotError(
        'PROFILE_NOT_FOUND',
        `keyrot holds no protected key for profile "${profile}" (config file ${configFile})`,
        {
          hint: `Run \`keyrot protect --profile ${profile}\` again, or remove its credential_process line from ${configFile} and put the key back (\`keyrot backup list\`).`,
        },
      );
    }
    await writeCredentialProcess(io.stdout, entry);
  } finally {
    await store.close?.();
  }
}

/** A keychain failure as the person running an AWS tool sees it: which keyrot profile, and the fix. */
function forAwsTools(error: unknown, profile: string): unknown {
  if (!(error instanceof KeyrotError)) return error;
  return new KeyrotError(
    error.code,
    `cannot read the key of protected profile "${profile}": ${error.message}`,
    { hint: error.hint, cause: error },
  );
}

/**
 * Opens the OS keychain of `service` for reading protected keys, as `keyrot credentials` reads them: the
 * connection stays open (and is reused) until close(). In this bundle so the daemon loads the keychain
 * code only once it is first asked for a key.
 */
export async function openProtectedKeyReader(service: string): Promise<KeyReader> {
  const store = await openOsStore(service, { patience: { totalMs: PATIENCE_MS } });
  const keys = new ProtectedKeys(store);
  return {
    get: (profile, configFile) => keys.get(profile, configFile),
    close: async () => {
      await store.close?.();
    },
  };
}
