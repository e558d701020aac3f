// The commands that talk to AWS on a person's behalf, built into one CommonJS bundle with the AWS SDK
// inside (scripts/build-cli.mjs) and run from V8's code cache (src/code-cache): one module to compile
// instead of hundreds, and usually not even that.
export { rotateNowCommand } from './rotate-now.js';
export { statusCommand } from './status.js';
