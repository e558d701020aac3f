// How a notification reaches macOS. node-notifier runs its vendored terminal-notifier, which is built
// for Intel Macs only (x86_64) and unsigned: on Apple silicon it runs only through Rosetta 2, which is
// not installed by default, and without it every notification would fail. There keyrot uses
// `osascript -e 'display notification …'` instead: osascript ships with every macOS for every CPU. It is
// the fallback, not the first choice, because its notifications come from "Script Editor" (its name and
// icon, and a click opens Script Editor), where terminal-notifier's stand on their own.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cannotRunReason, macCpu, type RunProgram, runProgram } from '../platform/mac-cpu.js';
import { MACH_O_HEADER_BYTES, machOArchitectures } from '../platform/mach-o.js';

/** What osascript shows: a title and a text (notifier.ts's Notification without its urgency). */
export interface MacNotification {
  title: string;
  body: string;
}

/** How notifications are shown on this Mac, and why. */
export type MacRoute = { via: 'terminal-notifier' } | { via: 'osascript'; because: string };

/** The terminal-notifier program node-notifier runs. */
export function terminalNotifierPath(): string {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('node-notifier/package.json'));
  return path.join(root, 'vendor/mac.noindex/terminal-notifier.app/Contents/MacOS/terminal-notifier');
}

/** What macMacRoute needs (the real program, CPU and files by default). */
export interface MacRouteDeps {
  run?: RunProgram;
  readHead?: (file: string) => Promise<Uint8Array>;
  terminalNotifier?: string;
}

/** Whether terminal-notifier can run on this Mac, from its Mach-O header and the CPU; else osascript. */
export async function macRoute(deps: MacRouteDeps = {}): Promise<MacRoute> {
  const file = deps.terminalNotifier ?? terminalNotifierPath();
  const readHead =
    deps.readHead ?? (async (name: string) => (await readFile(name)).subarray(0, MACH_O_HEADER_BYTES));
  let architectures: string[] | null;
  try {
    architectures = machOArchitectures(await readHead(file));
  } catch (error) {
    return { via: 'osascript', because: `terminal-notifier is missing (${(error as Error).message})` };
  }
  if (!architectures) return { via: 'osascript', because: 'terminal-notifier is not a macOS program' };
  const reason = cannotRunReason(architectures, await macCpu(deps.run ?? runProgram));
  return reason
    ? { via: 'osascript', because: `terminal-notifier cannot run: ${reason}` }
    : { via: 'terminal-notifier' };
}

/**
 * The osascript command line that shows `notification`. The texts go in as arguments of the script's run
 * handler, never into the script itself, so no quoting of them is needed and none can break out.
 */
export function osascriptArgs(notification: MacNotification): string[] {
  return [
    '-e',
    'on run argv',
    '-e',
    'display notification (item 2 of argv) with title (item 1 of argv)',
    '-e',
    'end run',
    notification.title,
    notification.body,
  ];
}

/** Shows `notification` with osascript; rejects when osascript fails. */
export async function notifyWithOsascript(
  notification: MacNotification,
  run: RunProgram = runProgram,
): Promise<void> {
  const result = await run('/usr/bin/osascript', osascriptArgs(notification));
  if (result.code !== 0) throw new Error(`osascript exited with ${result.code}`);
}
