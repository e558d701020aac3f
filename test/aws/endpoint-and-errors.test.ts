// Endpoint/region resolution in the SDK's order, and the mapping of AWS errors to KeyrotError.
import { describe, expect, it } from 'vitest';
import { resolveEndpoint, resolveRegion } from '../../src/aws/endpoint.js';
import {
  awsErrorName,
  isDefiniteRefusal,
  isRejectedKey,
  isTransient,
  mapAwsError,
} from '../../src/aws/errors.js';

describe('resolveEndpoint', () => {
  const config = new Map([
    ['services.local', { 'iam.endpoint_url': 'http://iam.local', 'sts.endpoint_url': 'http://sts.local' }],
  ]);
  it('prefers the flag, then AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL: 'http://all', AWS_ENDPOINT_URL_IAM: 'http://iam' };
    expect(resolveEndpoint('iam', { flag: 'http://flag', env })).toBe('http://flag');
    expect(resolveEndpoint('iam', { env })).toBe('http://iam');
    expect(resolveEndpoint('sts', { env })).toBe('http://all');
  });
  it("then the profile's services section, then its endpoint_url", () => {
    const env = {};
    expect(resolveEndpoint('sts', { env, profile: { services: 'local' }, configSections: config })).toBe(
      'http://sts.local',
    );
    expect(resolveEndpoint('iam', { env, profile: { endpoint_url: 'http://p' } })).toBe('http://p');
    expect(resolveEndpoint('iam', { env, profile: {} })).toBeUndefined();
    expect(
      resolveEndpoint('iam', { env: { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'x' } }),
    ).toBeUndefined();
  });
  it('takes the region from the flag, the environment, the profile, else us-east-1', () => {
    expect(resolveRegion('eu-west-3', { AWS_REGION: 'x' })).toBe('eu-west-3');
    expect(resolveRegion(undefined, { AWS_REGION: 'ap-south-1' }, { region: 'y' })).toBe('ap-south-1');
    expect(resolveRegion(undefined, {}, { region: 'eu-central-1' })).toBe('eu-central-1');
    expect(resolveRegion(undefined, {})).toBe('us-east-1');
  });
});

describe('AWS error mapping', () => {
  const sdkError = (name: string, status: number, message = 'm') =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  it('classifies rejected keys, denials, transient and definite failures', () => {
    expect(isRejectedKey(sdkError('InvalidClientTokenId', 403))).toBe(true);
    expect(isTransient(sdkError('Throttling', 400))).toBe(true);
    expect(isTransient(sdkError('ServiceFailure', 500))).toBe(true);
    expect(isTransient(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isDefiniteRefusal(sdkError('LimitExceeded', 409))).toBe(true);
    expect(isDefiniteRefusal(sdkError('Throttling', 400))).toBe(false);
    expect(isDefiniteRefusal(new Error('parse failure'))).toBe(false);
  });
  it('wraps into a KeyrotError with a code, a hint, the cause, and no secret in the message', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const error = mapAwsError(
      sdkError('AccessDenied', 403, `denied for AKIAIOSFODNN7EXAMPLE ${secret}`),
      'IAM',
      'ListAccessKeys',
    );
    expect(error.code).toBe('AWS_ACCESS_DENIED');
    expect(error.message).toContain('IAM ListAccessKeys failed: AccessDenied');
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain('AKIA…MPLE');
    expect(awsErrorName(error)).toBe('AccessDenied');
    expect(mapAwsError(sdkError('InvalidClientTokenId', 403), 'STS', 'GetCallerIdentity').code).toBe(
      'AWS_REJECTED_KEY',
    );
    expect(mapAwsError(sdkError('Throttling', 400), 'IAM', 'CreateAccessKey').code).toBe('AWS_UNREACHABLE');
  });
});
