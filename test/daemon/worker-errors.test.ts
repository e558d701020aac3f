// A failure in the check worker crosses the process boundary as describeError's JSON shape; the daemon
// must classify what it revives exactly as it would have classified the error itself.
import { describe, expect, it } from 'vitest';
import { reviveError } from '../../src/daemon/check-worker.js';
import { classifyFailure, failureCode, failureLine } from '../../src/daemon/classify-error.js';
import { describeError, exitCodeOf } from '../../src/errors/describe-error.js';
import { KeyrotError } from '../../src/errors/keyrot-error.js';

/** What the daemon gets back: the description, through JSON as IPC carries it, revived. */
function acrossIpc(error: unknown): Error {
  return reviveError(JSON.parse(JSON.stringify(describeError(error))));
}

describe('worker errors across the process boundary', () => {
  it.each([
    ['a held lock', new KeyrotError('LOCKED', 'rotate-now holds profile work')],
    ['a needed MFA code', new KeyrotError('MFA_REQUIRED', 'IAM requires an MFA code', { hint: 'run it' })],
    ['an unreachable AWS', new KeyrotError('AWS_UNREACHABLE', 'no answer from IAM')],
    ['a bad file', new KeyrotError('FILE_INVALID', 'bad header', { file: '/c', line: 4, hint: 'fix it' })],
    ['a KeyrotError INTERNAL', new KeyrotError('INTERNAL', 'the journal already holds another key')],
    ['a network error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['another system error', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'arn')")],
  ])('%s is classified, coded, worded and exits as before', (_what, error) => {
    const revived = acrossIpc(error);
    expect(classifyFailure(revived)).toBe(classifyFailure(error));
    expect(failureCode(revived)).toBe(failureCode(error));
    expect(failureLine(revived)).toBe(failureLine(error));
    expect(exitCodeOf(revived)).toBe(exitCodeOf(error));
    expect(describeError(revived)).toEqual(describeError(error));
  });

  it('never carries a secret across', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const revived = acrossIpc(new KeyrotError('AWS_ERROR', `signature of ${secret}`, { hint: secret }));
    expect(JSON.stringify(describeError(revived))).not.toContain(secret);
  });
});
