// Running systemctl, launchctl and schtasks: argv only (never a shell), output captured.
import { execFile } from 'node:child_process';

/** What a finished command left behind. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command with arguments and resolves with its exit code (it never rejects on a non-zero exit). */
export type CommandRunner = (command: string, args: string[]) => Promise<RunResult>;

/** The real runner, with the given environment (systemctl --user needs XDG_RUNTIME_DIR and the bus). */
export function execRunner(env: NodeJS.ProcessEnv, timeoutMs = 60_000): CommandRunner {
  return (command, args) =>
    new Promise((resolve) => {
      execFile(command, args, { env, timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
        const text = error && typeof error.code !== 'number' ? `${stderr}${error.message}` : stderr;
        resolve({ code, stdout: String(stdout), stderr: String(text) });
      });
    });
}
