// The entry of the small bundle the bin's `keyrot daemon` fast path loads (dist/bundle/daemon.cjs,
// scripts/build.mjs): the daemon parent runs for hours and forks a worker for every check, so it loads
// only its own wiring (schedule, lock, state file, settings wait, logger), not every command.
export { processContext } from './context.js';
export { daemonCommand } from './daemon.js';
export { reportError } from './report-error.js';
