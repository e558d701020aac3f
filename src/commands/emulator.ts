import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot emulator`. */
export interface EmulatorInput {
  host: string;
  port: string;
  state?: string;
  propagationDelayMs: string;
  latencyMs: string;
  fault?: string[];
}

/** `keyrot emulator` (not built yet). */
export async function emulatorCommand(_input: EmulatorInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`emulator` is not built yet');
}
