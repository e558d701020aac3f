// Pure parts of the emulator: TOTP against the RFC 6238 vectors, the fault grammar, loopback detection.
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/emulator/admin-http.js';
import { FaultPlan, parseFaultSpec } from '../../src/emulator/faults.js';
import { newAccessKeyId, newSecretAccessKey } from '../../src/emulator/ids.js';
import { base32Decode, base32Encode, totpCode, verifyTotp } from '../../src/emulator/totp.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';

describe('TOTP (RFC 6238)', () => {
  // The RFC's SHA-1 seed "12345678901234567890"; the RFC lists 8-digit codes, AWS uses their last 6.
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
    [20000000000, '353130'],
  ])('at %i s the code is %s', (seconds, code) => {
    expect(totpCode(secret, new Date(seconds * 1000))).toBe(code);
  });

  it('accepts one step of drift either way, not two', () => {
    const at = new Date(1_700_000_000_000);
    const code = totpCode(secret, at);
    expect(verifyTotp(secret, code, new Date(at.getTime() + 30_000))).toBe(true);
    expect(verifyTotp(secret, code, new Date(at.getTime() - 30_000))).toBe(true);
    expect(verifyTotp(secret, code, new Date(at.getTime() + 60_000))).toBe(false);
  });

  it('round-trips base32', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 7]);
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
  });
});

describe('fault grammar', () => {
  it('parses ACTION:KIND[:COUNT]', () => {
    expect(parseFaultSpec('CreateAccessKey:500:once')).toEqual({
      action: 'CreateAccessKey',
      kind: '500',
      count: 1,
    });
    expect(parseFaultSpec('UpdateAccessKey:throttle:2')).toEqual({
      action: 'UpdateAccessKey',
      kind: 'throttle',
      count: 2,
    });
    expect(parseFaultSpec('GetCallerIdentity:reset')).toEqual({
      action: 'GetCallerIdentity',
      kind: 'reset',
      count: 1,
    });
    expect(parseFaultSpec('*:timeout:always')).toEqual({ action: '*', kind: 'timeout', count: 'always' });
    expect(parseFaultSpec('CreateAccessKey:reset-after')).toMatchObject({ kind: 'reset-after' });
  });

  it.each([
    'CreateAccessKey',
    'CreateAccessKey:boom',
    'CreateAccessKey:500:0',
    'CreateAccessKey:500:x',
    'a:500',
    ':500',
    'A:500:1:2',
  ])('refuses %s with a usage error', (text) => {
    let caught: unknown;
    try {
      parseFaultSpec(text);
    } catch (error) {
      caught = error;
    }
    expect(isKeyrotError(caught, 'USAGE')).toBe(true);
  });

  it('uses faults up in order, per action, and keeps `always` ones', () => {
    const plan = new FaultPlan(['GetUser:500:2', 'GetUser:throttle', '*:reset:always']);
    expect([plan.take('GetUser'), plan.take('GetUser'), plan.take('GetUser'), plan.take('GetUser')]).toEqual([
      '500',
      '500',
      'throttle',
      'reset',
    ]);
    expect(plan.take('ListAccessKeys')).toBe('reset');
    plan.clear();
    expect(plan.take('GetUser')).toBeUndefined();
  });
});

describe('identifiers', () => {
  it('look like AWS keys', () => {
    const ids = new Set(Array.from({ length: 200 }, newAccessKeyId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(newSecretAccessKey()).toMatch(/^[A-Za-z0-9+/]{40}$/);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.5.6.7', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:192.168.1.1', false],
    ['fe80::1', false],
    [undefined, false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});
