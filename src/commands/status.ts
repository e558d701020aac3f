import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot status`. */
export interface StatusInput {
  profile?: string[];
  json?: boolean;
  offline?: boolean;
}

/** `keyrot status` (not built yet). */
export async function statusCommand(_input: StatusInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`status` is not built yet');
}
