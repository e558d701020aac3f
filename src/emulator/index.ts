// The local IAM/STS emulator: public entry points.
//
//   const emulator = await startEmulator({ propagationDelayMs: 2000 });
//   const alice = await seedUser(emulator, { user: 'alice', keyAgeDays: 100, secondKey: 'inactive', mfa: true });
//   new STSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: alice.keys[0] });
//   emulator.admin.addFault('CreateAccessKey:reset-after');   // see FAULT_GRAMMAR_HELP
//   totpCode(alice.mfa.secretBase32)                           // the code for GetSessionToken
//   await emulator.close();
export type { EmulatorAdmin, KeySummary, SeededKey, SeededUser, SeedUserInput } from './admin.js';
export { FAULT_GRAMMAR_HELP, type FaultKind, type FaultSpec, parseFaultSpec } from './faults.js';
export { seedUser } from './seed.js';
export { type EmulatorOptions, type RequestLogEntry, type RunningEmulator, startEmulator } from './server.js';
export { totpCode } from './totp.js';
