import type { SecretStore } from './secret-store.js';

/** Which operation an injected error fires on; `write` is either set or delete (a crash point). */
export type StoreOperation = 'get' | 'set' | 'delete' | 'write';

/** A one-shot fault: the first matching call (after `skip` matching calls) throws `error`. */
export interface InjectedError {
  /** The operation to fail. */
  op: StoreOperation;
  /** Only calls on this account (exact string) or matching accounts (RegExp) count. */
  account?: string | RegExp;
  /** Let this many matching calls succeed first (0 = fail the next one). */
  skip?: number;
  /** What to throw; a generic platform failure by default. */
  error?: Error;
}

/** An in-memory SecretStore for tests, with one-shot error injection (keyring-rs's mock store, in spirit). */
export class MemorySecretStore implements SecretStore {
  /** The stored values, by account; tests may inspect or tamper with it directly. */
  readonly entries = new Map<string, string>();
  /** Every call made, in order, as `op account`. */
  readonly calls: string[] = [];
  private readonly faults: { op: StoreOperation; account?: string | RegExp; skip: number; error: Error }[] =
    [];

  /** Arms a one-shot fault; several may be armed at once and each fires once. */
  injectError(fault: InjectedError): void {
    this.faults.push({
      op: fault.op,
      account: fault.account,
      skip: fault.skip ?? 0,
      error: fault.error ?? new Error("Couldn't access platform storage: injected failure"),
    });
  }

  /** Disarms every fault that has not fired yet. */
  clearInjectedErrors(): void {
    this.faults.length = 0;
  }

  async get(account: string): Promise<string | null> {
    this.enter('get', account);
    return this.entries.get(account) ?? null;
  }

  async set(account: string, value: string): Promise<void> {
    this.enter('set', account);
    this.entries.set(account, value);
  }

  async delete(account: string): Promise<boolean> {
    this.enter('delete', account);
    return this.entries.delete(account);
  }

  private enter(op: 'get' | 'set' | 'delete', account: string): void {
    this.calls.push(`${op} ${account}`);
    const index = this.faults.findIndex(
      (fault) =>
        (fault.op === op || (fault.op === 'write' && op !== 'get')) && matches(fault.account, account),
    );
    if (index < 0) return;
    const fault = this.faults[index]!;
    if (fault.skip > 0) {
      fault.skip -= 1;
      return;
    }
    this.faults.splice(index, 1);
    throw fault.error;
  }
}

function matches(pattern: string | RegExp | undefined, account: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === account : pattern.test(account);
}
