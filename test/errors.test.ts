import { describe, expect, it } from 'vitest';
import { ERROR_CODES, KeyrotError } from '../src/errors/keyrot-error.js';
import { maskKeyId, maskUrlUserinfo, redactText } from '../src/errors/redact.js';

describe('KeyrotError', () => {
  it('maps each code to its exit code', () => {
    expect(new KeyrotError('OTHER_KEY_ACTIVE', 'x').exitCode).toBe(3);
    expect(new KeyrotError('LOCKED', 'x').exitCode).toBe(4);
    expect(new KeyrotError('MFA_REQUIRED', 'x').exitCode).toBe(5);
    expect(Object.values(ERROR_CODES).every((code) => code >= 1 && code <= 5)).toBe(true);
  });
});

describe('redaction', () => {
  const keyId = 'AKIAIOSFODNN7EXAMPLE';
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('masks key ids to their first and last four characters', () => {
    expect(maskKeyId(keyId)).toBe('AKIA…MPLE');
    expect(redactText(`key ${keyId} used`)).toBe('key AKIA…MPLE used');
  });

  it('removes secret access keys and session tokens', () => {
    const token = 'IQoJb3JpZ2luX2VjE'.repeat(10);
    const text = redactText(`secret=${secret} token=${token}`);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(token);
  });

  it('masks the userinfo of URLs, in free text and through redactText', () => {
    expect(maskUrlUserinfo('HTTPS_PROXY=http://user:password@proxy.corp:3128')).toBe(
      'HTTPS_PROXY=http://user:***@proxy.corp:3128',
    );
    expect(maskUrlUserinfo('Environment="HTTPS_PROXY=http://ann:p@ss:w0rd@proxy/" x@y')).toBe(
      'Environment="HTTPS_PROXY=http://ann:***@proxy/" x@y',
    );
    expect(maskUrlUserinfo('<string>https://ghp_TOKEN123@example.com/x?a=b@c</string>')).toBe(
      '<string>https://***@example.com/x?a=b@c</string>',
    );
    expect(redactText('connect to http://u:hunter2@10.0.0.1:8080 failed')).toBe(
      'connect to http://u:***@10.0.0.1:8080 failed',
    );
    expect(maskUrlUserinfo('http://proxy:3128 and mail ann@example.com')).toBe(
      'http://proxy:3128 and mail ann@example.com',
    );
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('rotated profile dev in 412 ms')).toBe('rotated profile dev in 412 ms');
  });
});
