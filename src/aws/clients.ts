// IAM and STS over the AWS SDK v3, loaded on first use (dynamic import) so that commands which never
// call AWS — and `keyrot --help/--version` — never pay the SDK's ~200 ms load. Every client is built
// with EXPLICIT credentials: the ambient default chain (env, SSO, IMDS…) is never consulted.
import { loadCompiledEagerly } from '../platform/eager-compile.js';
import { traceSpan } from '../time/trace.js';
import { mapAwsError } from './errors.js';
import { sdkSettings } from './sdk-settings.js';
import type {
  AccessKeyInfo,
  AccessKeyLastUsed,
  AwsClientOptions,
  AwsCredentials,
  CallerIdentity,
  CreatedAccessKey,
} from './types.js';

type Sdk = typeof import('./sdk.js');

let sdkPromise: Promise<Sdk> | undefined;

/** Starts loading the SDK in the background (idempotent); call early to overlap it with other work. */
export function preloadAwsSdk(): Promise<Sdk> {
  // The SDK warns on Node 20 about its own future releases; the person cannot act on that here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Through the compile cache with every function compiled, as the bin loads the commands (src/cli.ts).
  sdkPromise ??= traceSpan('load the AWS SDK', () => loadCompiledEagerly(() => import('./sdk.js')));
  return sdkPromise;
}

const key = (c: AwsCredentials) => `${c.accessKeyId}:${c.sessionToken ?? ''}`;

/**
 * A response body's bytes, read from the Node stream the SDK's HTTP handler gives. The SDK's own
 * collector first asks whether the body is a web stream, and that question loads Node's web streams
 * (~3 ms on Node 24) for bodies that never are.
 */
async function collectBody(body: unknown): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Common client settings: region, explicit endpoint, SDK retries, socket timeout, and the SDK's own
 * settings, so that the client reads no config file (sdk-settings.ts).
 */
function clientConfig(
  options: AwsClientOptions,
  credentials: AwsCredentials,
  endpoint?: string,
  attempts?: number,
) {
  return {
    ...(options.sdk ? options.sdk() : sdkSettings(process.env)),
    region: options.region,
    credentials: { ...credentials },
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: attempts ?? options.maxAttempts ?? 3,
    streamCollector: collectBody,
    requestHandler: {
      // Without throwOnRequestTimeout the SDK only logs a warning and waits forever on a silent server.
      throwOnRequestTimeout: true,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionTimeout: Math.min(options.requestTimeoutMs ?? 10_000, 10_000),
    },
  };
}

/** STS calls, each signed with the credentials passed in. */
export class StsApi {
  private readonly clients = new Map<string, InstanceType<Sdk['STSClient']>>();
  constructor(private readonly options: AwsClientOptions) {}

  private async client(credentials: AwsCredentials) {
    const sts = await preloadAwsSdk();
    let client = this.clients.get(key(credentials));
    if (!client) {
      client = new sts.STSClient(clientConfig(this.options, credentials, this.options.stsEndpoint));
      this.clients.set(key(credentials), client);
    }
    return { client, sts };
  }

  /** GetCallerIdentity: who this key belongs to. */
  async getCallerIdentity(credentials: AwsCredentials): Promise<CallerIdentity> {
    const { client, sts } = await this.client(credentials);
    try {
      const out = await client.send(new sts.GetCallerIdentityCommand({}));
      return { arn: out.Arn ?? '', account: out.Account ?? '', userId: out.UserId ?? '' };
    } catch (error) {
      throw mapAwsError(error, 'STS', 'GetCallerIdentity');
    }
  }

  /** GetSessionToken with an MFA code: a session that satisfies MFA-only policies. */
  async getSessionToken(
    credentials: AwsCredentials,
    mfa: { serialNumber: string; tokenCode: string },
  ): Promise<AwsCredentials> {
    const { client, sts } = await this.client(credentials);
    try {
      const out = await client.send(
        new sts.GetSessionTokenCommand({
          SerialNumber: mfa.serialNumber,
          TokenCode: mfa.tokenCode,
          DurationSeconds: 900,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('GetSessionToken returned no credentials');
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    } catch (error) {
      throw mapAwsError(error, 'STS', 'GetSessionToken');
    }
  }

  /** Releases the clients' sockets. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** The IAM calls of a rotation, each signed with the credentials passed in. */
export class IamApi {
  private readonly clients = new Map<string, InstanceType<Sdk['IAMClient']>>();
  constructor(private readonly options: AwsClientOptions) {}

  private async client(credentials: AwsCredentials, once = false) {
    const iam = await preloadAwsSdk();
    const id = `${once ? '1' : 'n'}:${key(credentials)}`;
    let client = this.clients.get(id);
    if (!client) {
      // CreateAccessKey is not idempotent: a retried request whose first answer was lost would make a
      // second key. It gets one attempt; the rotation recovers from a lost answer itself.
      client = new iam.IAMClient(
        clientConfig(this.options, credentials, this.options.iamEndpoint, once ? 1 : undefined),
      );
      this.clients.set(id, client);
    }
    return { client, iam };
  }

  /** ListAccessKeys of `userName`. */
  async listAccessKeys(credentials: AwsCredentials, userName: string): Promise<AccessKeyInfo[]> {
    const { client, iam } = await this.client(credentials);
    try {
      const out = await client.send(new iam.ListAccessKeysCommand({ UserName: userName || undefined }));
      return (out.AccessKeyMetadata ?? []).map((k) => ({
        accessKeyId: k.AccessKeyId ?? '',
        status: k.Status === 'Inactive' ? 'Inactive' : 'Active',
        createDate: k.CreateDate ?? new Date(0),
      }));
    } catch (error) {
      throw mapAwsError(error, 'IAM', 'ListAccessKeys');
    }
  }

  /** ListMFADevices of `userName`: their serial numbers (an ARN, or a hardware token's serial). */
  async listMfaDevices(credentials: AwsCredentials, userName: string): Promise<string[]> {
    const { client, iam } = await this.client(credentials);
    try {
      const serials: string[] = [];
      let marker: string | undefined;
      do {
        const out = await client.send(
          new iam.ListMFADevicesCommand({ UserName: userName || undefined, Marker: marker }),
        );
        for (const device of out.MFADevices ?? []) if (device.SerialNumber) serials.push(device.SerialNumber);
        marker = out.IsTruncated ? out.Marker : undefined;
      } while (marker);
      return serials;
    } catch (error) {
      throw mapAwsError(error, 'IAM', 'ListMFADevices');
    }
  }

  /** CreateAccessKey for `userName` (single attempt, see above). */
  async createAccessKey(credentials: AwsCredentials, userName: string): Promise<CreatedAccessKey> {
    const { client, iam } = await this.client(credentials, true);
    try {
      const out = await client.send(new iam.CreateAccessKeyCommand({ UserName: userName || undefined }));
      const k = out.AccessKey;
      if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
      return {
        accessKeyId: k.AccessKeyId,
        secretAccessKey: k.SecretAccessKey,
        createDate: k.CreateDate ?? new Date(),
      };
    } catch (error) {
      throw mapAwsError(error, 'IAM', 'CreateAccessKey');
    }
  }

  /** UpdateAccessKey: set a key Active or Inactive. */
  async updateAccessKey(
    credentials: AwsCredentials,
    userName: string,
    accessKeyId: string,
    status: 'Active' | 'Inactive',
  ): Promise<void> {
    const { client, iam } = await this.client(credentials);
    try {
      await client.send(
        new iam.UpdateAccessKeyCommand({
          UserName: userName || undefined,
          AccessKeyId: accessKeyId,
          Status: status,
        }),
      );
    } catch (error) {
      throw mapAwsError(error, 'IAM', 'UpdateAccessKey');
    }
  }

  /** DeleteAccessKey. */
  async deleteAccessKey(credentials: AwsCredentials, userName: string, accessKeyId: string): Promise<void> {
    const { client, iam } = await this.client(credentials);
    try {
      await client.send(
        new iam.DeleteAccessKeyCommand({ UserName: userName || undefined, AccessKeyId: accessKeyId }),
      );
    } catch (error) {
      throw mapAwsError(error, 'IAM', 'DeleteAccessKey');
    }
  }

  /** GetAccessKeyLastUsed: when and where a key was last used. */
  async getAccessKeyLastUsed(credentials: AwsCredentials, accessKeyId: string): Promise<AccessKeyLastUsed> {
    const { client, iam } = await this.client(credentials);
    try {
      const out = await client.send(new iam.GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
      const u = out.AccessKeyLastUsed;
      const known = (v?: string) => (v && v !== 'N/A' ? v : undefined);
      return { lastUsedDate: u?.LastUsedDate, serviceName: known(u?.ServiceName), region: known(u?.Region) };
    } catch (error) {
      throw mapAwsError(error, 'IAM', 'GetAccessKeyLastUsed');
    }
  }

  /** Releases the clients' sockets. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}
