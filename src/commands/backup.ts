import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot backup`. */
export interface BackupInput {
  args: string[];
  json?: boolean;
  yes?: boolean;
}

/** `keyrot backup` (not built yet). */
export async function backupCommand(_input: BackupInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`backup` is not built yet');
}
