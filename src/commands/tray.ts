import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot tray`. */
export type TrayInput = Record<string, unknown>;

/** `keyrot tray` (not built yet). */
export async function trayCommand(_input: TrayInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`tray` is not built yet');
}
