// The entry of the small bundle the bin's `keyrot credentials --profile P` fast path loads
// (dist/bundle/credentials.cjs, scripts/build.mjs): only the keychain read and the error printer, not
// every command, because every AWS CLI call of a protected profile waits for it.
export { openProtectedKeyReader, printProtectedCredentials } from './credentials.js';
export { reportError } from './report-error.js';
