import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot service`. */
export interface ServiceInput {
  args: string[];
  dryRun?: boolean;
  withTray?: boolean;
  platform?: 'linux' | 'darwin' | 'win32';
}

/** `keyrot service` (not built yet). */
export async function serviceCommand(_input: ServiceInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`service` is not built yet');
}
