// The rotation engine's dependencies, in process, for tests that inject crashes at exact calls: the real
// emulator over HTTP with the real SDK clients, the real files port over a world's AWS files
// (test/support/world.ts), and the real journal and backups over an in-memory secret store.
import { IamApi, StsApi } from '../../src/aws/clients.js';
import { credentialFilesPort } from '../../src/commands/credential-files-port.js';
import { DEFAULT_PROFILE_SETTINGS, type ProfileSettings } from '../../src/config/settings.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import type { SecretStore } from '../../src/keychain/secret-store.js';
import type { CredentialFilesPort, RotationDeps } from '../../src/rotation/ports.js';
import { systemClock } from '../../src/time/clock.js';
import type { World } from '../support/world.js';

/** The production files port over a world's ~/.aws files. */
export function worldFiles(world: World): CredentialFilesPort {
  return credentialFilesPort(world.env, { verbose: false });
}

/** Engine deps over `emulator`, sharing `store` (the keychain) and `files` across runs. */
export function engineDeps(
  emulator: RunningEmulator,
  store: SecretStore,
  files: CredentialFilesPort,
  policy: Partial<ProfileSettings> = {},
): RotationDeps & { steps: string[] } {
  const values = new ChunkedValueStore(store);
  const options = {
    region: 'us-east-1',
    iamEndpoint: emulator.url,
    stsEndpoint: emulator.url,
    maxAttempts: 2,
    requestTimeoutMs: 2_000,
  };
  const steps: string[] = [];
  return {
    sts: new StsApi(options),
    iam: new IamApi(options),
    files,
    journal: new RotationJournal(values, { emptyRecord: null }),
    backups: new BackupStore(values),
    clock: systemClock,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    progress: { step: (name, detail) => steps.push(`${name}: ${detail}`) },
    policy: () => ({ ...DEFAULT_PROFILE_SETTINGS, ...policy }),
    lock: async () => async () => undefined,
    propagationTimeoutMs: 3_000,
    steps,
  };
}

/** Wraps every method of every port so that the `n`th call (1-based) throws, before or after running. */
export function crashAt(deps: RotationDeps, n: number, when: 'before' | 'after'): { calls: string[] } {
  const calls: string[] = [];
  const record = { calls };
  for (const port of ['sts', 'iam', 'files', 'journal', 'backups'] as const) {
    const target = deps[port] as unknown as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const name of methodNames(target)) {
      const original = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
      wrapped[name] = async (...args: unknown[]) => {
        calls.push(`${port}.${name}`);
        const index = calls.length;
        if (index === n && when === 'before') throw new Error(`simulated crash before ${port}.${name}`);
        const result = await original(...args);
        if (index === n && when === 'after') throw new Error(`simulated crash after ${port}.${name}`);
        return result;
      };
    }
    if (port === 'files') wrapped.paths = (target as { paths: unknown }).paths;
    (deps as unknown as Record<string, unknown>)[port] = wrapped;
  }
  return record;
}

function methodNames(object: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name !== 'constructor' && typeof (object as Record<string, unknown>)[name] === 'function')
        names.add(name);
    }
  }
  return [...names].filter((n) => !['destroy', 'client'].includes(n));
}
