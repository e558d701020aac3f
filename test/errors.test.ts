import { describe, expect, it } from 'vitest';
import { ERROR_CODES, KeyrotError } from '../src/errors/keyrot-error.js';
import { maskKeyId, redactText } from '../src/errors/redact.js';

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

  it('leaves ordinary text alone', () => {
    expect(redactText('rotated profile dev in 412 ms')).toBe('rotated profile dev in 412 ms');
  });
});
