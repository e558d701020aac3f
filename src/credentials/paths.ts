import { homedir } from 'node:os';
import { join, sep } from 'node:path';

/** Where the AWS shared files live, after environment, overrides and `~/` expansion. */
export interface AwsFilePaths {
  credentialsFile: string;
  configFile: string;
}

/** Explicit paths (command-line flags) that win over the environment. */
export interface AwsFilePathOverrides {
  credentialsFile?: string;
  configFile?: string;
}

/**
 * The home directory exactly as the AWS SDK for JavaScript v3 finds it: HOME, then USERPROFILE,
 * then HOMEDRIVE (default `C:` + separator) + HOMEPATH, then the operating system's answer.
 */
export function awsHomeDir(env: NodeJS.ProcessEnv, osHome: () => string = homedir): string {
  // Truthiness, not presence: the SDK skips empty strings the same way.
  if (env.HOME) return env.HOME;
  if (env.USERPROFILE) return env.USERPROFILE;
  if (env.HOMEPATH) return `${env.HOMEDRIVE ?? `C:${sep}`}${env.HOMEPATH}`;
  return osHome();
}

/** Expands a leading `~/` against the SDK's home directory (the SDK expands nothing else, not `~user`). */
export function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/**
 * The credentials and config file paths the SDK would read: an override, else AWS_SHARED_CREDENTIALS_FILE /
 * AWS_CONFIG_FILE (empty counts as unset), else `~/.aws/credentials` / `~/.aws/config`; then `~/` expansion.
 */
export function resolveAwsFilePaths(
  env: NodeJS.ProcessEnv,
  overrides: AwsFilePathOverrides = {},
  osHome: () => string = homedir,
): AwsFilePaths {
  const home = awsHomeDir(env, osHome);
  const credentials =
    overrides.credentialsFile || env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const config = overrides.configFile || env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  return { credentialsFile: expandHome(credentials, home), configFile: expandHome(config, home) };
}
