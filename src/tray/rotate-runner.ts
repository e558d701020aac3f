// "Rotate now" runs `keyrot rotate-now --profile P --force --json` as a child process: exactly the code
// and locking of the command line, no AWS SDK loaded into the long-lived tray, and a crash in a
// rotation cannot take the icon down. Its stderr lines are the progress shown in the menu.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Overrides } from '../config/overrides.js';
import { ExitCode } from '../errors/keyrot-error.js';
import { maskKeyId, redactText } from '../errors/redact.js';

/** The package's `bin` (dist/cli.cjs), from this code's place in dist/ (a folder below it). */
export const DEFAULT_CLI_PATH = fileURLToPath(new URL('../cli.cjs', import.meta.url));

/** How a rotation the tray started ended. */
export interface RotationRun {
  profile: string;
  exitCode: number;
  ok: boolean;
  /** One line for the menu and the notification; never a secret. */
  message: string;
  /** The rotated keys (masked) when rotate-now reported them. */
  keys?: { oldKeyId: string; newKeyId: string; oldKeyAction: string; oldKeyActiveUntil?: string };
}

/** What runRotateNow needs. */
export interface RotateNowOptions {
  profile: string;
  globals: Overrides;
  env: NodeJS.ProcessEnv;
  cliPath?: string;
  /** Each progress line (redacted) as the child reports it. */
  onProgress?(line: string): void;
  /** Starts the child (node:child_process spawn; tests record what it is given). */
  spawn?: typeof spawn;
}

/** The global options to pass on, so the child sees the same files and endpoint as the tray. */
export function globalArgs(globals: Overrides): string[] {
  const args: string[] = [];
  if (globals.credentialsFile) args.push('--credentials-file', globals.credentialsFile);
  if (globals.awsConfigFile) args.push('--aws-config-file', globals.awsConfigFile);
  if (globals.config) args.push('--config', globals.config);
  if (globals.endpointUrl) args.push('--endpoint-url', globals.endpointUrl);
  if (globals.region) args.push('--region', globals.region);
  return args;
}

/** Runs one forced rotation of `profile` through the CLI and describes the outcome. */
export function runRotateNow(options: RotateNowOptions): Promise<RotationRun> {
  const { profile } = options;
  // --force: the person pressed "Rotate now"; a key that is not due yet is rotated too.
  const args = [
    options.cliPath ?? DEFAULT_CLI_PATH,
    ...globalArgs(options.globals),
    'rotate-now',
    '--profile',
    profile,
    '--force',
    '--json',
  ];
  return new Promise((resolve) => {
    // windowsHide: "Rotate now" must not flash a console window on Windows.
    const child = (options.spawn ?? spawn)(process.execPath, args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderrTail = '';
    const errors: string[] = [];
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      const lines = (stderrTail + text).split('\n');
      stderrTail = lines.pop() ?? '';
      for (const raw of lines) {
        const line = redactText(raw.trim());
        if (!line) continue;
        if (line.startsWith('keyrot: ')) errors.push(line.slice('keyrot: '.length));
        else options.onProgress?.(line);
      }
    });
    child.on('error', (error) =>
      resolve({
        profile,
        exitCode: ExitCode.failed,
        ok: false,
        message: `cannot start keyrot: ${error.message}`,
      }),
    );
    child.on('close', (code) => {
      if (stderrTail.trim().startsWith('keyrot: ')) errors.push(redactText(stderrTail.trim().slice(8)));
      const exitCode = code ?? ExitCode.failed;
      const ok = exitCode === ExitCode.ok;
      const keys = ok ? rotatedKeys(stdout, profile) : undefined;
      resolve({
        profile,
        exitCode,
        ok,
        message: describeRun(profile, exitCode, stdout, errors),
        ...(keys ? { keys } : {}),
      });
    });
  });
}

/** One line about the outcome: "rotated AKIA…1234 → AKIA…5678", or the CLI's own error line. */
export function describeRun(profile: string, exitCode: number, stdout: string, errors: string[]): string {
  if (exitCode === ExitCode.ok) {
    const result = findResult(parseJson(stdout), profile);
    if (result?.outcome === 'not-due') return 'not due; nothing changed';
    if (result?.outcome === 'already-rotated' && typeof result.newKeyId === 'string') {
      return `already rotated by another keyrot: the profile holds ${mask(result.newKeyId)}`;
    }
    if (typeof result?.oldKeyId === 'string' && typeof result.newKeyId === 'string') {
      return `rotated ${mask(result.oldKeyId)} → ${mask(result.newKeyId)}`;
    }
    return 'rotated';
  }
  const said = errors[0];
  const kind =
    exitCode === ExitCode.refused
      ? 'refused'
      : exitCode === ExitCode.locked
        ? 'another rotation is running'
        : exitCode === ExitCode.needsPerson
          ? 'needs you'
          : 'failed';
  return said ? `${kind}: ${said}` : `${kind} (exit code ${exitCode})`;
}

/** The masked old and new key ids and what happened to the old key, from rotate-now --json. */
export function rotatedKeys(stdout: string, profile: string): RotationRun['keys'] {
  const result = findResult(parseJson(stdout), profile);
  // Only a rotation this run made: "already rotated" reports another keyrot's work.
  if (result?.outcome === 'already-rotated') return undefined;
  if (typeof result?.oldKeyId !== 'string' || typeof result.newKeyId !== 'string') return undefined;
  const action = typeof result.oldKeyAction === 'string' ? result.oldKeyAction : 'kept';
  const keys = { oldKeyId: mask(result.oldKeyId), newKeyId: mask(result.newKeyId), oldKeyAction: action };
  // old_key_active_hours: the old key stays active until its window's end.
  const until = (result.oldKeyWindow as { until?: unknown } | undefined)?.until;
  return action === 'kept-active' && typeof until === 'string' ? { ...keys, oldKeyActiveUntil: until } : keys;
}

function mask(keyId: string): string {
  return keyId.includes('…') ? keyId : maskKeyId(keyId);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// rotate-now --json prints one document; find this profile's result in it, whatever the nesting.
function findResult(value: unknown, profile: string): Record<string, unknown> | null {
  if (Array.isArray(value)) {
    for (const entry of value) {
      const found = findResult(entry, profile);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.profile === profile && ('outcome' in record || 'newKeyId' in record)) return record;
    for (const entry of Object.values(record)) {
      const found = findResult(entry, profile);
      if (found) return found;
    }
  }
  return null;
}
