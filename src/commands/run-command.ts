// Runs one command in this process: in each bundle that runs commands through the bin (src/commands/
// index.ts, src/commands/rotate-now-fast.ts), so the error it prints is checked against the KeyrotError
// class that bundle's commands throw.
import type { ExitCodeValue } from '../errors/keyrot-error.js';
import { type CommandContext, type GlobalOptions, processContext } from './context.js';
import { reportError } from './report-error.js';

/** Runs `task` with this process's stdio and environment; a thrown error is printed and becomes the exit code. */
export async function runCommand(
  task: (ctx: CommandContext) => Promise<ExitCodeValue>,
  globals: GlobalOptions,
): Promise<ExitCodeValue> {
  try {
    return await task(processContext(globals));
  } catch (error) {
    return reportError(error, process.stderr, globals.verbose);
  }
}
