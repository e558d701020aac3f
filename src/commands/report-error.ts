// How a command's error reaches the person: its text on stderr and its exit code. It lives in each
// bundle that runs commands (src/commands/index.ts, src/commands/credentials-fast.ts), so the KeyrotError
// class it checks is the one that bundle's commands throw.
import { errorText, exitCodeOf } from '../errors/describe-error.js';
import type { ExitCodeValue } from '../errors/keyrot-error.js';

/** Prints an error for the person (src/errors/describe-error.ts) and returns its exit code. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream, verbose: boolean): ExitCodeValue {
  stderr.write(errorText(error, { verbose }));
  return exitCodeOf(error);
}
