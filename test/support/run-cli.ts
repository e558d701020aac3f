import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './cleanup.js';

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

/** A CLI run and the CommonJS files it loaded (the bin, the bundles), from require's cache at its exit. */
export interface ProbedRun extends CliResult {
  loaded: string[];
}

let probe: Promise<string> | undefined;
/** A preload, written once per test file, that writes require's cache to KEYROT_TEST_PROBE_OUT at exit. */
function probeFile(): Promise<string> {
  probe ??= tempDir('cli-probe').then(async (dir) => {
    const file = path.join(dir, 'probe.cjs');
    await writeFile(
      file,
      `process.on('exit', () => require('node:fs').writeFileSync(process.env.KEYROT_TEST_PROBE_OUT,
  JSON.stringify(Object.keys(require.cache))));\n`,
    );
    return file;
  });
  return probe;
}

/** Runs the built CLI as runCli does (in `env`), and tells which of its files it loaded. */
export async function runCliProbed(args: string[], env: NodeJS.ProcessEnv): Promise<ProbedRun> {
  const file = await probeFile();
  const out = path.join(path.dirname(file), `loaded-${randomBytes(6).toString('hex')}.json`);
  const result = await runCli(args, {
    env: { ...env, NODE_OPTIONS: `--require ${file}`, KEYROT_TEST_PROBE_OUT: out },
  });
  const loaded = JSON.parse(await readFile(out, 'utf8').catch(() => '[]')) as string[];
  return { ...result, loaded };
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
