import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot daemon`. */
export interface DaemonInput {
  once?: boolean;
}

/** `keyrot daemon` (not built yet). */
export async function daemonCommand(_input: DaemonInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`daemon` is not built yet');
}
