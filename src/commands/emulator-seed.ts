import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot emulator seed`. */
export interface EmulatorSeedInput {
  endpoint: string;
  user: string;
  keyAgeDays: string;
  secondKey: 'none' | 'active' | 'inactive';
  mfa?: boolean;
  admin?: boolean;
  profile?: string;
  json?: boolean;
}

/** `keyrot emulator seed` (not built yet). */
export async function emulatorSeedCommand(
  _input: EmulatorSeedInput,
  _ctx: CommandContext,
): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`emulator seed` is not built yet');
}
