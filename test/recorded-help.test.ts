// The help the bin serves without commander (src/recorded-help.ts, recorded by scripts/build.mjs) is
// commander's own, byte for byte, on the same stream and with the same exit code, on a terminal of any
// width too (help is 80 columns wide everywhere); for words not recorded, commander answers as always.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as commander from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { commandPaths, helpKey, type RecordedHelp } from '../src/recorded-help.js';
import { tempDirSync } from './support/cleanup.js';
import { runOnPty } from './support/pty.js';
import { describeWith } from './support/real-part.js';
import { CLI_PATH, runCli } from './support/run-cli.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const recorded = JSON.parse(readFileSync(join(DIST, 'bundle', 'help.json'), 'utf8')) as RecordedHelp;
const requests = Object.keys(recorded.requests).map((key) => JSON.parse(key) as string[]);
const textOf = (args: string[]) => recorded.texts[recorded.requests[helpKey(args)] as number];

/**
 * The built bin as it is without recorded help: the bin, the rest of the CLI and commander (all that
 * --help loads, test/cli.test.ts) and the manifest they read, in a directory of their own.
 */
function binWithoutRecordedHelp(): string {
  const root = tempDirSync('no-recorded-help');
  mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
  copyFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), join(root, 'package.json'));
  for (const file of ['cli.cjs', 'bundle/cli-main.cjs', 'bundle/commander.cjs'])
    copyFileSync(join(DIST, file), join(root, 'dist', file));
  return join(root, 'dist', 'cli.cjs');
}

describe('recorded help', () => {
  it('is recorded for the program and every command, with --help, -h and the help command', () => {
    const program = buildProgram(commander, async () => undefined);
    const paths = commandPaths(program);
    expect(paths.length).toBeGreaterThan(10);
    for (const path of [[], ...paths]) {
      expect(textOf([...path, '--help']), path.join(' ')).toMatch(/^Usage: keyrot /);
      expect(textOf([...path, '-h']), path.join(' ')).toBe(textOf([...path, '--help']));
    }
    expect(textOf(['help'])).toBe(textOf(['--help']));
    expect(textOf(['help', 'status'])).toBe(textOf(['status', '--help']));
  });

  it("is commander's own help, byte for byte, on stdout with exit code 0", { timeout: 240_000 }, async () => {
    const withoutRecorded = binWithoutRecordedHelp();
    for (const args of requests) {
      const [served, commanders] = await Promise.all([
        runCli(args),
        runCli(args, { entry: withoutRecorded }),
      ]);
      const asked = args.join(' ');
      expect(commanders.stderr, asked).toBe('');
      expect(commanders.code, asked).toBe(0);
      expect(served.stdout, asked).toBe(commanders.stdout);
      expect(served.stdout, asked).toBe(textOf(args));
      expect(served.stderr, asked).toBe('');
      expect(served.code, asked).toBe(0);
    }
  });

  it('leaves words not recorded to commander: its usage error, on stderr, exit code 2', async () => {
    for (const args of [
      ['help', 'no-such-command'],
      ['status', '--help', '--no-such-option'],
    ]) {
      const result = await runCli(args);
      const commanders = await runCli(args, { entry: binWithoutRecordedHelp() });
      expect(result, args.join(' ')).toEqual(commanders);
    }
    const unknown = await runCli(['help', 'no-such-command']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(textOf(['--help']));
  });
});

describeWith('pty', 'builtCli')('recorded help on a terminal', () => {
  /** `keyrot --help` on a terminal `columns` wide, through the bin at `entry`. */
  const helpOnTerminal = async (columns: number, entry = CLI_PATH) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb' };
    const run = await runOnPty(
      ['sh', '-c', `stty cols ${columns} rows 40 && exec "$0" "$1" --help`, process.execPath, entry],
      {
        env,
        answers: [],
      },
    );
    expect(run.code).toBe(0);
    return run.text;
  };

  it('is served on a narrow, a common and a wide terminal, and is what commander prints there', async () => {
    const withoutRecorded = binWithoutRecordedHelp();
    for (const columns of [60, 80, 120]) {
      expect(await helpOnTerminal(columns), `${columns} columns`).toBe(textOf(['--help']));
      expect(await helpOnTerminal(columns, withoutRecorded), `${columns} columns`).toBe(textOf(['--help']));
    }
  });
});
