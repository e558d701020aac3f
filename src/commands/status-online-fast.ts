// The entry of the bundle the bin's `keyrot status` fast path loads for the online command
// (dist/bundle/status-online.cjs, scripts/build.mjs): its own modules (settings, the AWS files, the
// keychain's journal and protected keys, IAM through the SDK's bundle), not every command's, nor commander.
export { processContext } from './context.js';
export { reportError } from './report-error.js';
export { statusCommand } from './status.js';
