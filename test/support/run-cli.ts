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

/** Options of runCommand. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (closed at once when absent). */
  input?: string;
  /** Kill the process after this long (a hung run then fails with its output); none when absent. */
  timeoutMs?: number;
  cwd?: string;
}

/** Runs a command to its end, collecting stdout and stderr as text. */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
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

/** Runs the built `keyrot` CLI (or another `entry` file) as a subprocess with the given environment. */
export function runCli(args: string[], options: RunOptions & { entry?: string } = {}): Promise<CliResult> {
  return runCommand(process.execPath, [options.entry ?? CLI_PATH, ...args], {
    ...options,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...(options.env ?? process.env) },
    // Generous: only a hung run reaches it, and a loaded CI machine is slow.
    timeoutMs: options.timeoutMs ?? 120_000,
  });
}

/**
 * Runs the built CLI with a reader that closes stdout after its first chunk (`keyrot … | head`): the
 * exit code and stderr, for tests that the command ends quietly.
 */
export function runCliReaderGoneEarly(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
