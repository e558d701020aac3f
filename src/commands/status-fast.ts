// The entry of the small bundle the bin's `keyrot status --offline` fast path loads
// (dist/bundle/status.cjs, scripts/build.mjs): local files only, none of the online command's AWS SDK
// and keychain, nor commander, so it starts about as fast as node itself.

export { processContext } from './context.js';
export { reportError } from './report-error.js';
export { statusOfflineCommand } from './status-offline.js';
