// `keyrot --help` and the other requests for help, answered by the bin (src/bin.ts) without loading the
// rest of the CLI and commander (~6 ms of CPU on Node 24): with the text commander itself printed for the
// same words when the package was built (scripts/build.mjs → dist/bundle/help.json). Help is 80 columns
// wide on a terminal too (src/cli.ts), so the text is the same wherever stdout goes; for any words not
// recorded the CLI runs as always. test/recorded-help.test.ts holds the texts to commander's own.
import { readFileSync } from 'node:fs';

/** Words that ask commander for help; only words with one of them are looked up. */
const HELP_WORDS = new Set(['--help', '-h', 'help']);

/** The recorded texts (dist/bundle/help.json): each request's key → the index of its text, each text once. */
export interface RecordedHelp {
  requests: Record<string, number>;
  texts: string[];
}

/** The key of `args` (the words after `keyrot`) in the recorded texts. */
export const helpKey = (args: readonly string[]): string => JSON.stringify(args);

/** The part of a commander command whose names commandPaths reads. */
export interface CommandTree {
  name(): string;
  readonly commands: readonly CommandTree[];
}

/** The words of every command below `command`, e.g. [['status'], …, ['emulator'], ['emulator', 'seed']]. */
export function commandPaths(command: CommandTree, parent: readonly string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const own = [...parent, sub.name()];
    return [own, ...commandPaths(sub, own)];
  });
}

/**
 * The words whose help the build asks commander for, for the program and each of its commands:
 * `--help`, `-h`, and the help command before the command's name (`keyrot help status`). The build
 * records those commander answers with help (it refuses `keyrot emulator help seed`, for one).
 */
export function helpRequests(program: CommandTree): string[][] {
  const requests: string[][] = [['--help'], ['-h'], ['help']];
  for (const path of commandPaths(program)) {
    const helpCommand = [...path.slice(0, -1), 'help', ...path.slice(-1)];
    requests.push([...path, '--help'], [...path, '-h'], helpCommand);
  }
  return requests;
}

/**
 * The help commander printed for `args` at build time, read from `file` (the recorded texts): undefined
 * when no word asks for help, or when `args` or the file is not there.
 */
export function recordedHelp(args: readonly string[], file: string): string | undefined {
  if (!args.some((arg) => HELP_WORDS.has(arg))) return undefined;
  let help: RecordedHelp;
  try {
    help = JSON.parse(readFileSync(file, 'utf8')) as RecordedHelp;
  } catch {
    return undefined;
  }
  const key = helpKey(args);
  return Object.hasOwn(help.requests, key) ? help.texts[help.requests[key] as number] : undefined;
}
