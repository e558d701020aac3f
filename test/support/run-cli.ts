import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Path of the built CLI as installed: the package's `bin`, dist/cli.cjs (npm test builds it first). */
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url));

/** What a finished CLI process left behind. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `keyrot` CLI (or another `entry` file) as a subprocess with the given environment. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string; entry?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.entry ?? CLI_PATH, ...args], {
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...(options.env ?? process.env) },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Generous: only a hung run reaches it, and a loaded CI machine is slow.
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
