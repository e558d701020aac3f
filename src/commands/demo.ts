import { type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot demo`. */
export type DemoInput = Record<string, unknown>;

/** `keyrot demo` (not built yet). */
export async function demoCommand(_input: DemoInput, _ctx: CommandContext): Promise<ExitCodeValue> {
  throw new KeyrotError('INTERNAL', '`demo` is not built yet');
}
