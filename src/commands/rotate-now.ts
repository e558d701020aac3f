import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot rotate-now`. */
export interface RotateNowInput {
  profile?: string[];
  all?: boolean;
  force?: boolean;
  deleteOther?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** `keyrot rotate-now` (not built yet). */
export async function rotateNowCommand(_input: RotateNowInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`rotate-now` is not built yet');
}
