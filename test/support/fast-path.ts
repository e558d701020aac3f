// The bin's fast paths (src/cli.ts) must behave exactly as commander's path for the same words: this
// runs a command both ways and compares what each printed and how each exited.
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type ProbedRun, runCliProbed } from './run-cli.js';

/** commander's bundle, which the bin loads only when no fast path took the command. */
export const COMMANDER_BUNDLE = fileURLToPath(new URL('../../dist/bundle/commander.cjs', import.meta.url));

/** What two runs of one command print alike: all of it but how long a rotation took. */
const comparable = (run: ProbedRun) => ({
  code: run.code,
  stdout: run.stdout.replace(/"durationMs": \d+/g, '"durationMs": 0'),
  stderr: run.stderr,
});

/**
 * `command ...args` in `env` on the bin's fast path, and the same through commander: `before` are
 * global options in front of the command (which the fast paths leave to commander) that change nothing
 * in this run. Asserts that only the second loaded commander and that both printed the same and exited
 * alike; returns both runs.
 */
export async function runOnBothPaths(
  env: NodeJS.ProcessEnv,
  command: string,
  args: string[],
  before: string[],
): Promise<{ fast: ProbedRun; commander: ProbedRun }> {
  const fast = await runCliProbed([command, ...args], env);
  const commander = await runCliProbed([...before, command, ...args], env);
  expect(fast.loaded, 'the fast path').not.toContain(COMMANDER_BUNDLE);
  expect(commander.loaded, 'commander').toContain(COMMANDER_BUNDLE);
  expect(comparable(fast), `${command} ${args.join(' ')}`).toEqual(comparable(commander));
  return { fast, commander };
}
