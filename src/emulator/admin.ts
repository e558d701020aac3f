// The emulator's admin side: seeding users and keys, adjusting faults and delays, and inspecting keys.
// Used in-process (RunningEmulator.admin) and over HTTP under /__keyrot/admin/ from loopback peers only.
import { KeyrotError } from '../errors/keyrot-error.js';
import { addDays } from '../time/days.js';
import type { FaultSpec } from './faults.js';
import { type MfaDeviceKind, newKeyRecord, newUserRecord } from './records.js';
import type { EmulatorRuntime } from './runtime.js';
import type { KeyLastUsed } from './state.js';

/** What to seed: a user with one key backdated by `keyAgeDays`, optionally a second key, MFA, admin. */
export interface SeedUserInput {
  user: string;
  keyAgeDays?: number;
  secondKey?: 'none' | 'active' | 'inactive';
  /** One virtual MFA device and the "manage own credentials only with MFA" policy. */
  mfa?: boolean;
  /** The user's MFA devices, in order (instead of `mfa`): e.g. `['virtual', 'hardware']`. */
  mfaDevices?: MfaDeviceKind[];
  admin?: boolean;
}

/** A seeded MFA device: its serial and TOTP secret (what the person's authenticator holds). */
export interface SeededMfaDevice {
  serial: string;
  secretBase32: string;
}

/** A seeded access key, secret included. */
export interface SeededKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createDate: string;
}

/** The seeded user: its ARN, its keys (the backdated one first) and, with MFA, the TOTP secret. */
export interface SeededUser {
  user: string;
  arn: string;
  userId: string;
  accountId: string;
  keys: SeededKey[];
  /** The first MFA device. */
  mfa?: SeededMfaDevice;
  /** Every MFA device, when there are any. */
  mfaDevices?: SeededMfaDevice[];
}

/** A key as the admin side shows it (no secret). */
export interface KeySummary {
  accessKeyId: string;
  userName: string;
  status: 'Active' | 'Inactive';
  createDate: string;
  lastUsed?: KeyLastUsed;
}

/** In-process control of a running emulator. */
export interface EmulatorAdmin {
  /** Creates (or replaces) a user with its keys; its keys work at once (no propagation delay). */
  seedUser(input: SeedUserInput): Promise<SeededUser>;
  /** Adds a fault (`ACTION:KIND[:COUNT]` or a spec object). */
  addFault(spec: FaultSpec | string): void;
  /** Removes every pending fault. */
  clearFaults(): void;
  /** The faults not yet used up. */
  faults(): FaultSpec[];
  /** Changes the eventual-consistency window for later key changes. */
  setPropagationDelayMs(ms: number): void;
  /** Changes the latency added to every API response. */
  setLatencyMs(ms: number): void;
  /** Changes how long a key's use stays invisible to GetAccessKeyLastUsed. */
  setLastUsedDelayMs(ms: number): void;
  /** The live keys of one user, or of every user. */
  keys(userName?: string): KeySummary[];
  /** How many API requests named `action` arrived (all actions when omitted). */
  requestCount(action?: string): number;
}

/** Checks and normalises a seed request; throws KeyrotError('USAGE') naming the bad field. */
export function normalizeSeedInput(input: SeedUserInput): Required<SeedUserInput> {
  if (typeof input?.user !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(input.user)) {
    throw new KeyrotError(
      'USAGE',
      'seed: the user name must be 1-64 characters of letters, digits and +=,.@_-',
    );
  }
  const keyAgeDays = input.keyAgeDays ?? 0;
  if (typeof keyAgeDays !== 'number' || !Number.isFinite(keyAgeDays) || keyAgeDays < 0) {
    throw new KeyrotError('USAGE', 'seed: the key age must be a number of days, 0 or more');
  }
  const secondKey = input.secondKey ?? 'none';
  if (!['none', 'active', 'inactive'].includes(secondKey)) {
    throw new KeyrotError('USAGE', 'seed: the second key must be none, active or inactive');
  }
  const mfaDevices = input.mfaDevices ?? (input.mfa ? ['virtual' as const] : []);
  if (!Array.isArray(mfaDevices) || !mfaDevices.every((kind) => kind === 'virtual' || kind === 'hardware')) {
    throw new KeyrotError('USAGE', 'seed: each MFA device must be virtual or hardware');
  }
  return {
    user: input.user,
    keyAgeDays,
    secondKey,
    mfa: mfaDevices.length > 0,
    mfaDevices,
    admin: Boolean(input.admin),
  };
}

/** The admin interface over a runtime. */
export function createAdmin(runtime: EmulatorRuntime): EmulatorAdmin {
  const { state } = runtime;
  return {
    async seedUser(input) {
      const seed = normalizeSeedInput(input);
      const now = runtime.clock.now();
      const keyDate = addDays(now, -seed.keyAgeDays);
      const user = newUserRecord(state.accountId, seed.user, keyDate, {
        admin: seed.admin,
        mfaDevices: seed.mfaDevices,
      });
      state.putUser(user, now.getTime());
      const keys = [newKeyRecord(seed.user, now, { createDate: keyDate, propagated: true })];
      if (seed.secondKey !== 'none') {
        const status = seed.secondKey === 'active' ? 'Active' : 'Inactive';
        keys.push(newKeyRecord(seed.user, now, { status, propagated: true }));
      }
      for (const key of keys) state.addKey(key);
      await state.save();
      const seeded: SeededUser = {
        user: user.userName,
        arn: user.arn,
        userId: user.userId,
        accountId: state.accountId,
        keys: keys.map(({ accessKeyId, secretAccessKey, status, createDate }) => ({
          accessKeyId,
          secretAccessKey,
          status,
          createDate,
        })),
      };
      if (user.mfaDevices) {
        seeded.mfaDevices = user.mfaDevices.map((d) => ({
          serial: d.serialNumber,
          secretBase32: d.secretBase32,
        }));
        seeded.mfa = seeded.mfaDevices[0];
      }
      return seeded;
    },
    addFault: (spec) => runtime.faults.add(spec),
    clearFaults: () => runtime.faults.clear(),
    faults: () => runtime.faults.list(),
    setPropagationDelayMs(ms) {
      runtime.propagationDelayMs = nonNegative(ms, 'propagation delay');
    },
    setLatencyMs(ms) {
      runtime.latencyMs = nonNegative(ms, 'latency');
    },
    setLastUsedDelayMs(ms) {
      runtime.lastUsedDelayMs = nonNegative(ms, 'last-used delay');
    },
    keys(userName) {
      const keys = userName === undefined ? state.allKeys() : state.userKeys(userName);
      return keys.map(({ accessKeyId, userName: owner, status, createDate, lastUsed }) => ({
        accessKeyId,
        userName: owner,
        status,
        createDate,
        ...(lastUsed ? { lastUsed: { ...lastUsed } } : {}),
      }));
    },
    requestCount(action) {
      if (action !== undefined) return runtime.requestCounts.get(action) ?? 0;
      let total = 0;
      for (const count of runtime.requestCounts.values()) total += count;
      return total;
    },
  };
}

function nonNegative(ms: number, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new KeyrotError('USAGE', `the ${what} must be a number of milliseconds, 0 or more`);
  }
  return ms;
}
