// The entry of the bundle `keyrot rotate-now` runs from (dist/bundle/rotate-now.cjs, scripts/build.mjs),
// which the bin loads in place of every command's bundle: only the rotation's modules, imported
// statically so the build keeps only what they use and starts them without a lazy wrapper each.
import * as rotateNow from './rotate-now.js';

export { reportError } from './report-error.js';
export { runCommand } from './run-command.js';

/** The one command of this bundle, as src/commands/index.ts offers it. */
export const commands = { rotateNow: async () => rotateNow };
