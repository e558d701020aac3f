// Helpers of the keychain suites that provoke failures: freezing a Secret Service, catching KeyrotErrors.
import { expect } from 'vitest';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';

/** Freezes `pid` (SIGSTOP) for `ms` while `work` runs, then lets it run again (always, even if the test fails). */
export async function frozenFor<T>(pid: number, ms: number, work: () => Promise<T>): Promise<T> {
  const thawAt = Date.now() + ms;
  process.kill(pid, 'SIGSTOP');
  const thaw = setTimeout(() => process.kill(pid, 'SIGCONT'), ms);
  try {
    return await work();
  } finally {
    // Never leave the keyring frozen: wait for the planned thaw, then make sure.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, thawAt - Date.now())));
    clearTimeout(thaw);
    process.kill(pid, 'SIGCONT');
  }
}

/** The KeyrotError `promise` rejects with (fails the test when it resolves or rejects with anything else). */
export async function keyrotFailure(promise: Promise<unknown>): Promise<KeyrotError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isKeyrotError(error)).toBe(true);
  return error as KeyrotError;
}
