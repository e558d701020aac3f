import { homedir } from 'node:os';
import { join, sep, win32 } from 'node:path';

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

/** The AWS files keyrot uses and the ones the AWS CLI reads, when the two differ. */
export interface AwsCliMismatch {
  keyrot: AwsFilePaths;
  awsCli: AwsFilePaths;
}

/**
 * On Windows the AWS CLI (Python: os.path.expanduser ignores HOME there since Python 3.8) reads the files
 * under %USERPROFILE%, while keyrot, like the AWS SDK for JavaScript, prefers HOME: with HOME set (Git
 * Bash, a home drive) keyrot would rewrite files the AWS CLI never reads. Returns both sets of files when
 * they differ, null when they are the same or elsewhere than Windows.
 */
export function awsCliMismatch(
  env: NodeJS.ProcessEnv,
  overrides: AwsFilePathOverrides,
  platform: NodeJS.Platform,
  osHome: () => string = homedir,
): AwsCliMismatch | null {
  if (platform !== 'win32' || !env.HOME) return null;
  const keyrot = resolveAwsFilePaths(env, overrides, osHome);
  const { HOME: _ignored, ...withoutHome } = env;
  const awsCli = resolveAwsFilePaths(withoutHome, overrides, osHome);
  // Windows file names are case-insensitive and take either separator.
  const same = (a: string, b: string) =>
    win32.normalize(a).toLowerCase() === win32.normalize(b).toLowerCase();
  if (same(keyrot.credentialsFile, awsCli.credentialsFile) && same(keyrot.configFile, awsCli.configFile)) {
    return null;
  }
  return { keyrot, awsCli };
}

/** The warning about a mismatch, and what to do about it. */
export function awsCliMismatchWarning(mismatch: AwsCliMismatch): { text: string; fix: string } {
  return {
    text: `keyrot follows HOME and would rewrite ${mismatch.keyrot.credentialsFile}, but the AWS CLI on Windows ignores HOME and reads ${mismatch.awsCli.credentialsFile}`,
    fix: 'unset HOME where keyrot runs (or set it to %USERPROFILE%), or set AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE to the files you use',
  };
}
