import type { Readable, Writable } from 'node:stream';
import type { Overrides } from '../config/overrides.js';
import type { TextSink } from '../platform/direct-stdout.js';

/** Options every command accepts (README.md, Commands): the file and endpoint overrides, and --verbose. */
export interface GlobalOptions extends Overrides {
  /** `--verbose`: debug output on stderr. */
  verbose: boolean;
}

/** The process surroundings a command runs in, injected so tests can run commands in-process. */
export interface CommandIO {
  /** Where the command's output goes (process.stdout, or fd 1 directly on a fast path). */
  stdout: TextSink;
  stderr: Writable;
  stdin: Readable;
  /** Whether stdin and stdout are a terminal (prompts and tables). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** What every command function receives besides its own input. */
export interface CommandContext {
  globals: GlobalOptions;
  io: CommandIO;
}

/**
 * The context of the running process; `stdout` is process.stdout unless a fast path writes to file
 * descriptor 1 directly (src/platform/direct-stdout.ts).
 */
export function processContext(globals: GlobalOptions, stdout?: TextSink): CommandContext {
  return {
    globals,
    // stdin and stderr are made on first use: process.stdin costs ~2 ms on Node 24, and most commands
    // never read it (nor write to stderr).
    io: {
      stdout: stdout ?? process.stdout,
      get stderr() {
        return process.stderr;
      },
      get stdin() {
        return process.stdin;
      },
      get isTTY() {
        return Boolean(process.stdin.isTTY && process.stdout.isTTY);
      },
      env: process.env,
    },
  };
}
