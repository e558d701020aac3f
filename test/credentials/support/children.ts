import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built credentials engine that child processes import (npm test builds dist/ first). */
export const DIST_CREDENTIALS = fileURLToPath(new URL('../../../dist/credentials/index.js', import.meta.url));

/** Whether dist/ has been built (child-process tests need it). */
export const distBuilt = existsSync(DIST_CREDENTIALS);

/** Runs `node --input-type=module -e script args…`, resolving with its stdout; rejects on a non-zero exit. */
export function runNodeScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
}
