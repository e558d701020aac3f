// Real AWS SDK v3 clients pointed at an emulator, and an assertion for the errors they raise.
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { expect } from 'vitest';

/** Credentials as the SDK takes them. */
export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Options for the test clients (retries off unless asked, so errors are seen as sent). */
export interface ClientOptions {
  maxAttempts?: number;
  region?: string;
  requestTimeoutMs?: number;
}

function handler(options: ClientOptions) {
  // This SDK only warns on requestTimeout unless throwOnRequestTimeout is set.
  return options.requestTimeoutMs
    ? { requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true }
    : undefined;
}

/** A real IAM client against `endpoint`. */
export function iamClient(
  endpoint: string,
  credentials: TestCredentials,
  options: ClientOptions = {},
): IAMClient {
  return new IAMClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: handler(options),
  });
}

/** A real STS client against `endpoint`. */
export function stsClient(
  endpoint: string,
  credentials: TestCredentials,
  options: ClientOptions = {},
): STSClient {
  return new STSClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: handler(options),
  });
}

/** Awaits a rejected SDK call and checks the error's name, HTTP status and (optionally) message. */
export async function expectAwsError(
  call: Promise<unknown>,
  name: string,
  status: number,
  message?: RegExp,
): Promise<Error & { $metadata: { httpStatusCode?: number; attempts?: number } }> {
  const error = (await call.then(
    () => {
      throw new Error(`expected ${name}, but the call succeeded`);
    },
    (caught: unknown) => caught,
  )) as Error & { $metadata: { httpStatusCode?: number; attempts?: number } };
  expect(error.name).toBe(name);
  expect(error.$metadata?.httpStatusCode).toBe(status);
  if (message) expect(error.message).toMatch(message);
  return error;
}
