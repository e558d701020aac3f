// The AWS SDK's own settings that its clients otherwise look up themselves (each from the environment,
// then from the AWS_PROFILE or default profile of the default config files, which the SDK reads and
// parses per run): keyrot resolves them as it resolves the region and endpoints (endpoint.ts), from
// the environment, then the profile being rotated, and hands them to every client. The clients then
// read no file and follow the same profile as the rest of keyrot (`--aws-config-file` included).
// Names and values as the SDK reads them; a setting not given takes the SDK's default.
import { KeyrotError } from '../errors/keyrot-error.js';

/** The SDK client settings keyrot resolves itself (the names of the SDK's client configuration). */
export interface SdkSettings {
  useFipsEndpoint: boolean;
  useDualstackEndpoint: boolean;
  retryMode: string;
  /** The SDK checks the value (one of these) and refuses another. */
  defaultsMode: 'standard' | 'in-region' | 'cross-region' | 'mobile' | 'auto' | 'legacy';
  disableClockSkewCorrection: boolean;
  /** `sdk_ua_app_id`: a name the SDK adds to its User-Agent; a function, as the SDK accepts for none. */
  userAgentAppId: () => Promise<string | undefined>;
  /** IAM and STS sign with SigV4 only: no scheme to prefer. */
  authSchemePreference: string[];
}

/**
 * A boolean setting as the SDK reads it: the variable `envName` (when not empty), else the profile's
 * `key`; else false. Like the SDK, only "true" and "false" are values: anything else is refused, since
 * reading `use_fips_endpoint = True` as false would send the key to an endpoint the person ruled out.
 */
function flag(
  env: NodeJS.ProcessEnv,
  envName: string,
  profile: Record<string, string>,
  key: string,
): boolean {
  const fromEnv = env[envName] ? env[envName] : undefined;
  const value = fromEnv ?? profile[key];
  if (value === undefined || value === 'true' || value === 'false') return value === 'true';
  const where = fromEnv === undefined ? `${key} in the profile's settings` : `the variable ${envName}`;
  throw new KeyrotError(
    'CONFIG_INVALID',
    `${where} is ${JSON.stringify(value)}, which is neither true nor false`,
    {
      hint: `Set it to true or false (lower case): the AWS SDK accepts nothing else.`,
    },
  );
}

/** The SDK's settings from `env`, then the profile's merged settings (config file, then credentials file). */
export function sdkSettings(env: NodeJS.ProcessEnv, profile: Record<string, string> = {}): SdkSettings {
  const appId = env.AWS_SDK_UA_APP_ID ?? profile.sdk_ua_app_id ?? profile['sdk-ua-app-id'];
  return {
    useFipsEndpoint: flag(env, 'AWS_USE_FIPS_ENDPOINT', profile, 'use_fips_endpoint'),
    useDualstackEndpoint: flag(env, 'AWS_USE_DUALSTACK_ENDPOINT', profile, 'use_dualstack_endpoint'),
    retryMode: env.AWS_RETRY_MODE || profile.retry_mode || 'standard',
    defaultsMode: (env.AWS_DEFAULTS_MODE || profile.defaults_mode || 'legacy') as SdkSettings['defaultsMode'],
    disableClockSkewCorrection: flag(
      env,
      'AWS_DISABLE_CLOCK_SKEW_CORRECTION',
      profile,
      'disable_clock_skew_correction',
    ),
    userAgentAppId: async () => appId,
    authSchemePreference: [],
  };
}
