// The mutable parts of one running emulator, shared by the HTTP server and the admin side.
import type { Clock } from '../time/clock.js';
import type { FaultPlan } from './faults.js';
import type { EmulatorState } from './state.js';

/** Live settings and state of a running emulator. */
export interface EmulatorRuntime {
  state: EmulatorState;
  clock: Clock;
  faults: FaultPlan;
  propagationDelayMs: number;
  /** How long a key's use stays invisible to GetAccessKeyLastUsed, as IAM's lags by up to hours. */
  lastUsedDelayMs: number;
  latencyMs: number;
  /** Accept an MFA code that was used before (AWS refuses it). */
  allowMfaCodeReuse: boolean;
  /** Requests seen per action name (including failed and faulted ones). */
  requestCounts: Map<string, number>;
}
