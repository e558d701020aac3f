// Plain data exchanged with IAM and STS; no SDK types leak past src/aws/.
import type { SdkSettings } from './sdk-settings.js';

/** A key pair (and, for MFA sessions, a session token) to sign one request with. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Who a key belongs to, from STS GetCallerIdentity. */
export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/** One IAM access key of a user, from ListAccessKeys. */
export interface AccessKeyInfo {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
}

/** A freshly created key: the only moment its secret is known. */
export interface CreatedAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  createDate: Date;
}

/** When and where a key was last used, from GetAccessKeyLastUsed. */
export interface AccessKeyLastUsed {
  lastUsedDate?: Date;
  serviceName?: string;
  region?: string;
}

/** How the clients reach AWS: resolved once per profile. */
export interface AwsClientOptions {
  region: string;
  iamEndpoint?: string;
  stsEndpoint?: string;
  /** SDK attempts per call for idempotent calls (throttling and 5xx are retried by the SDK). */
  maxAttempts?: number;
  /** Per-request socket timeout; 0 means none. */
  requestTimeoutMs?: number;
  /**
   * The SDK's own settings (sdk-settings.ts), resolved when a client is first made, so that a bad value
   * fails that profile's first request rather than the wiring; without them, the environment's alone.
   */
  sdk?: () => SdkSettings;
}
