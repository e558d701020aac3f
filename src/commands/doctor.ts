import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot doctor`. */
export type DoctorInput = Record<string, unknown>;

/** `keyrot doctor` (not built yet). */
export async function doctorCommand(_input: DoctorInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`doctor` is not built yet');
}
