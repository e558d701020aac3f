// The IAM and STS ports of one profile (src/rotation/ports.ts), through the AWS SDK's clients
// (src/aws/clients.ts, which load the SDK on first use) with the profile's region and endpoints.
import { IamApi, StsApi } from '../aws/clients.js';
import { resolveEndpoint, resolveRegion } from '../aws/endpoint.js';
import { sdkSettings } from '../aws/sdk-settings.js';
import type { AwsClientOptions } from '../aws/types.js';
import { mergedProfileValues } from '../credentials/index.js';
import type { CredentialFilesPort, IamPort, SharedProfiles, StsPort } from '../rotation/ports.js';
import type { CommandContext } from './context.js';

/** SDK settings from the environment; tests shorten timeouts with KEYROT_AWS_TIMEOUT_MS / KEYROT_AWS_MAX_ATTEMPTS. */
function sdkTuning(env: NodeJS.ProcessEnv): Pick<AwsClientOptions, 'maxAttempts' | 'requestTimeoutMs'> {
  const n = (v?: string) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
  return { maxAttempts: n(env.KEYROT_AWS_MAX_ATTEMPTS), requestTimeoutMs: n(env.KEYROT_AWS_TIMEOUT_MS) };
}

/**
 * The IAM and STS ports for one profile: its region and endpoints (flag, env, `services` section), and
 * the SDK's settings from the environment and that profile.
 */
export async function awsPortsFor(
  ctx: CommandContext,
  files: CredentialFilesPort,
  profile: string,
): Promise<{ sts: StsPort & StsApi; iam: IamPort & IamApi }> {
  const shared = await files
    .read()
    .catch(() => ({ credentials: new Map(), config: new Map() }) as SharedProfiles);
  const settings = mergedProfileValues(shared, profile);
  const sources = {
    flag: ctx.globals.endpointUrl,
    env: ctx.io.env,
    profile: settings,
    configSections: shared.config,
  };
  const options: AwsClientOptions = {
    region: resolveRegion(ctx.globals.region, ctx.io.env, settings),
    iamEndpoint: resolveEndpoint('iam', sources),
    stsEndpoint: resolveEndpoint('sts', sources),
    ...sdkTuning(ctx.io.env),
    sdk: () => sdkSettings(ctx.io.env, settings),
  };
  return { sts: new StsApi(options), iam: new IamApi(options) };
}
