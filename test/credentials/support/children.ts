import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../support/run-cli.js';

/** The built credentials engine that child processes import (npm test builds dist/ first). */
export const DIST_CREDENTIALS = fileURLToPath(new URL('../../../dist/credentials/index.js', import.meta.url));

/** Whether dist/ has been built (child-process tests need it). */
export const distBuilt = existsSync(DIST_CREDENTIALS);

/** Runs `node --input-type=module -e script args…`, resolving with its stdout; rejects on a non-zero exit. */
export async function runNodeScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const result = await runCommand(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    env,
  });
  if (result.code !== 0) throw new Error(`child exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}
