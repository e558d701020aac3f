import { resolve } from 'node:path';
import { parseFaultSpec } from '../emulator/faults.js';
import { type RequestLogEntry, startEmulator } from '../emulator/index.js';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot emulator`. */
export interface EmulatorInput {
  host: string;
  port: string;
  state?: string;
  propagationDelayMs: string;
  latencyMs: string;
  lastUsedDelayMs?: string;
  allowMfaCodeReuse?: boolean;
  fault?: string[];
}

/** Parses a whole number option in [0, max]; KeyrotError('USAGE') naming the option otherwise. */
export function wholeNumberOption(value: string, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > max) {
    throw new KeyrotError('USAGE', `${option} must be a whole number from 0 to ${max}, not "${value}"`);
  }
  return Number(value);
}

/**
 * `keyrot emulator`: serves IAM and STS on the given address until SIGINT/SIGTERM. The first stdout line
 * is `keyrot emulator listening on URL`, so scripts can read the port; request logs go to stderr.
 */
export async function emulatorCommand(input: EmulatorInput, ctx: CommandContext): Promise<ExitCodeValue> {
  const port = wholeNumberOption(input.port, '--port', 65_535);
  const propagationDelayMs = wholeNumberOption(input.propagationDelayMs, '--propagation-delay-ms');
  const latencyMs = wholeNumberOption(input.latencyMs, '--latency-ms');
  const lastUsedDelayMs = wholeNumberOption(input.lastUsedDelayMs ?? '0', '--last-used-delay-ms');
  const faults = (input.fault ?? []).map(parseFaultSpec);
  const { stdout, stderr } = ctx.io;
  const emulator = await startEmulator({
    host: input.host,
    port,
    statePath: input.state === undefined ? undefined : resolve(input.state),
    propagationDelayMs,
    latencyMs,
    lastUsedDelayMs,
    allowMfaCodeReuse: Boolean(input.allowMfaCodeReuse),
    faults,
    onRequest: ctx.globals.verbose ? (entry) => stderr.write(`${formatLogEntry(entry)}\n`) : undefined,
  });
  stdout.write(`keyrot emulator listening on ${emulator.url}\n`);
  stderr.write(
    `Seed a user:  keyrot emulator seed --endpoint ${emulator.url} --user NAME\n` +
      `Use it:       --endpoint-url ${emulator.url}  (IAM and STS)\nStop with Ctrl-C.\n`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  return ExitCode.ok;
}

function formatLogEntry(entry: RequestLogEntry): string {
  const outcome = entry.errorCode ? `${entry.status} ${entry.errorCode}` : String(entry.status);
  const fault = entry.fault ? ` (fault ${entry.fault})` : '';
  return `emulator: ${entry.service} ${entry.action ?? '-'} ${outcome}${fault} ${entry.durationMs.toFixed(1)} ms`;
}
