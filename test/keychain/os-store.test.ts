// The macOS and Windows keychain store (@napi-rs/keyring): what can be checked without those systems.
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/daemon/classify-error.js';
import { recordCheck } from '../../src/daemon/record-check.js';
import { exitCodeOf } from '../../src/errors/describe-error.js';
import { LARGE_ENTRY_CHARS, MAX_ENTRY_CHARS } from '../../src/keychain/chunked-values.js';
import { type KeychainEntry, OsSecretStore } from '../../src/keychain/os-store.js';
import { emptyProfileState } from '../../src/state/state-file.js';

/** An item whose calls never answer (a keychain dialog nobody clicks), recording the signals it got. */
function unansweredEntry(signals: AbortSignal[]): KeychainEntry {
  const wait = (signal?: AbortSignal | null) => {
    if (signal) signals.push(signal);
    return new Promise<never>(() => {});
  };
  return {
    getPassword: (signal) => wait(signal),
    setPassword: (_value, signal) => wait(signal),
    deleteCredential: (signal) => wait(signal),
  };
}

describe('OsSecretStore', () => {
  it('budgets entries for Windows Credential Manager only on Windows', () => {
    expect(new OsSecretStore('s', 'win32').maxEntryChars).toBe(MAX_ENTRY_CHARS);
    expect(new OsSecretStore('s', 'darwin').maxEntryChars).toBe(LARGE_ENTRY_CHARS);
  });

  it('on macOS, a call nobody answers ends as "answer the keychain dialog" (exit 5), with its signal aborted', async () => {
    const signals: AbortSignal[] = [];
    const store = new OsSecretStore('keyrot', 'darwin', {
      timeoutMs: 50,
      openEntry: () => unansweredEntry(signals),
    });
    for (const call of [
      () => store.get('journal'),
      () => store.set('journal', 'x'),
      () => store.delete('journal'),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KEYCHAIN_PROMPT' });
      expect(exitCodeOf(error)).toBe(5);
      expect((error as Error).message).toContain('showing a dialog');
      expect((error as { hint: string }).hint).toContain('Always Allow');
      // The daemon's policy: the person is needed, not a network retry.
      expect(classifyFailure(error)).toBe('needs-person');
    }
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('the daemon tells the person to answer the dialog, once, and never calls it a network failure', async () => {
    const store = new OsSecretStore('keyrot', 'darwin', {
      timeoutMs: 20,
      openEntry: () => unansweredEntry([]),
    });
    const error = await store.get('journal').catch((e: unknown) => e);
    const check = (previous = emptyProfileState()) =>
      recordCheck({
        profile: 'work',
        previous,
        result: { ok: false, error },
        now: new Date('2026-12-01T10:00:00Z'),
        today: '2026-12-01',
        backoffCapMs: 3_600_000,
      });
    const first = check();
    expect(first.state.lastResult).toMatchObject({ outcome: 'needs-person', code: 'KEYCHAIN_PROMPT' });
    expect(first.state.retryAt).toBeNull();
    expect(first.notification).toMatchObject({
      title: 'keyrot needs you',
      body: 'keyrot needs you: answer the keychain dialog (Always Allow), then run `keyrot rotate-now --profile work`',
    });
    expect(check(first.state).notification).toBeNull();
  });

  it('on Windows, a call that does not answer is KEYCHAIN_UNAVAILABLE (exit 5)', async () => {
    const store = new OsSecretStore('keyrot', 'win32', {
      timeoutMs: 20,
      openEntry: () => unansweredEntry([]),
    });
    const error = await store.get('journal').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect(exitCodeOf(error)).toBe(5);
  });

  it('passes an answer through untouched', async () => {
    const store = new OsSecretStore('keyrot', 'darwin', {
      timeoutMs: 1_000,
      openEntry: () => ({
        getPassword: async () => 'value',
        setPassword: async () => undefined,
        deleteCredential: async () => true,
      }),
    });
    expect(await store.get('journal')).toBe('value');
    expect(await store.delete('journal')).toBe(true);
  });
});
