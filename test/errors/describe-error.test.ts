// The one place errors become words: every field redacted, the same text wherever keyrot prints one.
import { describe, expect, it } from 'vitest';
import {
  describeError,
  errorText,
  exitCodeOf,
  isErrorCode,
  messageWithPlace,
} from '../../src/errors/describe-error.js';
import { KeyrotError } from '../../src/errors/keyrot-error.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('describeError', () => {
  it('describes a KeyrotError by its fields, redacted', () => {
    const error = new KeyrotError('FILE_INVALID', `bad line holding ${SECRET}`, {
      hint: `remove ${KEY_ID}`,
      file: '/home/me/.aws/credentials',
      line: 7,
    });
    expect(describeError(error)).toEqual({
      code: 'FILE_INVALID',
      message: 'bad line holding [redacted-secret]',
      hint: 'remove AKIA…MPLE',
      file: '/home/me/.aws/credentials',
      line: 7,
    });
  });

  it('describes any other error as INTERNAL, keeping a system error code', () => {
    const reset = Object.assign(new Error(`socket hang up near ${SECRET}`), { code: 'ECONNRESET' });
    expect(describeError(reset)).toEqual({
      code: 'INTERNAL',
      message: 'socket hang up near [redacted-secret]',
      errno: 'ECONNRESET',
    });
    expect(describeError('plain text')).toEqual({ code: 'INTERNAL', message: 'plain text' });
    expect(describeError(null)).toEqual({ code: 'INTERNAL', message: 'null' });
  });
});

describe('errorText', () => {
  it('prints the message with its place, the hint below, and what it is about', () => {
    const error = new KeyrotError('CONFIG_INVALID', 'unknown key "sechedule"', {
      hint: 'did you mean "schedule"?',
      file: 'config.ini',
      line: 3,
    });
    expect(errorText(error)).toBe(
      'keyrot: unknown key "sechedule" (config.ini:3)\n  did you mean "schedule"?\n',
    );
    expect(errorText(new KeyrotError('LOCKED', 'held by pid 42'), { about: 'profile work' })).toBe(
      'keyrot: profile work: held by pid 42\n',
    );
  });

  it("adds the cause's stack only when verbose, redacted", () => {
    const cause = new Error(`denied for ${KEY_ID}`);
    const error = new KeyrotError('AWS_ERROR', 'IAM failed', { cause });
    expect(errorText(error)).toBe('keyrot: IAM failed\n');
    const verbose = errorText(error, { verbose: true });
    expect(verbose).toMatch(/^keyrot: IAM failed\n {2}cause: Error: denied for AKIA…MPLE\n {4}at /);
    expect(verbose).not.toContain(KEY_ID);
  });

  it('calls anything else an unexpected error, with its stack when verbose', () => {
    const bug = new TypeError(`x is undefined (${SECRET})`);
    expect(errorText(bug)).toBe('keyrot: unexpected error: x is undefined ([redacted-secret])\n');
    expect(errorText(bug, { verbose: true })).toMatch(
      /^keyrot: unexpected error: TypeError: x is undefined \(\[redacted-secret\]\)\n {4}at /,
    );
  });
});

describe('exit codes and places', () => {
  it("maps a KeyrotError to its code's exit code and anything else to 1", () => {
    expect(exitCodeOf(new KeyrotError('OTHER_KEY_ACTIVE', 'x'))).toBe(3);
    expect(exitCodeOf(new KeyrotError('MFA_REQUIRED', 'x'))).toBe(5);
    expect(exitCodeOf(new Error('x'))).toBe(1);
  });

  it('knows its own codes, and names the line only with a file', () => {
    expect(isErrorCode('LOCKED')).toBe(true);
    expect(isErrorCode('ECONNRESET')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(messageWithPlace({ code: 'FILE_INVALID', message: 'm', file: 'f' })).toBe('m (f)');
    expect(messageWithPlace({ code: 'FILE_INVALID', message: 'm' })).toBe('m');
  });
});
