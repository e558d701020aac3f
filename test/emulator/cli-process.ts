// Runs `keyrot emulator` (built dist/cli.js) as a child process and reads the URL from its first line.
import { type ChildProcess, spawn } from 'node:child_process';
import { stopAtFileEnd } from '../support/cleanup.js';
import { CLI_PATH } from '../support/run-cli.js';

/** A `keyrot emulator` child process. */
export interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  /** The first stdout line, as printed. */
  firstLine: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Sends a signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/** Starts `keyrot emulator ARGS` and waits for its listening line. */
export function spawnEmulator(
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<EmulatorProcess> {
  // Stopped when the test file ends at the latest, also when a test fails before its stop().
  const child = stopAtFileEnd(
    spawn(process.execPath, [CLI_PATH, 'emulator', ...args], {
      env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`emulator did not start: ${stderr}`));
    }, 15_000);
    child.on('exit', () => reject(new Error(`emulator exited early: ${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      const firstLine = stdout.slice(0, newline);
      resolve({
        url: firstLine.replace(/^.* on /, ''),
        child,
        firstLine,
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
  });
}
