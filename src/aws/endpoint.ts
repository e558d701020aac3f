// Endpoint and region resolution in the order the AWS SDK for JavaScript v3 uses, made explicit so
// that keyrot honours `--aws-config-file` and the profile being rotated (not AWS_PROFILE).

/** Where IAM or STS endpoint settings may come from. */
export interface EndpointSources {
  /** `--endpoint-url` (wins over everything). */
  flag?: string;
  env: NodeJS.ProcessEnv;
  /** The profile's merged settings (config file, then credentials file). */
  profile?: Record<string, string>;
  /** The config file's sections as the SDK keys them (`services.NAME` for `[services NAME]`). */
  configSections?: Map<string, Record<string, string>>;
}

/** The endpoint URL for `service`, or undefined for the SDK's default AWS endpoint. */
export function resolveEndpoint(service: 'iam' | 'sts', sources: EndpointSources): string | undefined {
  if (sources.flag) return sources.flag;
  const env = sources.env;
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  const fromEnv = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || env.AWS_ENDPOINT_URL;
  if (fromEnv) return fromEnv;
  const profile = sources.profile ?? {};
  const servicesName = profile.services;
  if (servicesName) {
    const section = sources.configSections?.get(`services.${servicesName}`);
    const url = section?.[`${service}.endpoint_url`];
    if (url) return url;
  }
  return profile.endpoint_url || undefined;
}

/** The region: `--region`, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1. */
export function resolveRegion(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  profile?: Record<string, string>,
) {
  return flag || env.AWS_REGION || env.AWS_DEFAULT_REGION || profile?.region || 'us-east-1';
}
