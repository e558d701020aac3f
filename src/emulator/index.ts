// The local IAM/STS emulator: public entry points.
export type { EmulatorAdmin, KeySummary, SeededKey, SeededUser, SeedUserInput } from './admin.js';
export { FAULT_GRAMMAR_HELP, type FaultKind, type FaultSpec, parseFaultSpec } from './faults.js';
export { seedUser } from './seed.js';
export { type EmulatorOptions, type RequestLogEntry, type RunningEmulator, startEmulator } from './server.js';
export { totpCode } from './totp.js';
