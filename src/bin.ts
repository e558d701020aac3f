#!/usr/bin/env node
// The package's bin (dist/cli.cjs, scripts/build.mjs), and the path existing credential_process lines
// run. Every AWS CLI call of a protected profile runs `keyrot credentials --profile P` and waits for it,
// so this file answers that first, with as little as it takes: the running daemon's agent
// (src/agent/client.ts) asked over its socket, its answer written straight to file descriptor 1.
// `keyrot --help` and the like get the help commander printed for them at build time
// (src/recorded-help.ts), which spares loading the rest of the CLI and commander.
// Everything else, the keychain read when the agent does not serve included, is the rest of the CLI
// (src/cli.ts → dist/bundle/cli-main.cjs), loaded only then; it turns Node's compile cache on for the
// bundles it loads, as it decides per command. Node compiles this file on every run (only code that
// already runs can turn that cache on): keep it small. Loading the rest of the CLI through the cache
// from here measured no faster on Node 24 (it caches little more than the file's top level).
import { credentialsFromAgent } from './agent/client.js';
import type * as Cli from './cli.js';
import { credentialProcessLine } from './credentials/process-output.js';
import { ExitCode } from './errors/keyrot-error.js';
import { directStdout, writeFully } from './platform/direct-stdout.js';
import { recordedHelp } from './recorded-help.js';
import { traceMark } from './time/trace.js';

/** The profile of `keyrot credentials --profile P` exactly as a credential_process line runs it. */
function credentialsProfile(argv: string[]): string | undefined {
  const [name, flag, profile, ...rest] = argv.slice(2);
  return name === 'credentials' && flag === '--profile' && profile && rest.length === 0 ? profile : undefined;
}

let cli: Promise<typeof Cli> | undefined;
/** The rest of the CLI, loaded once. */
function loadCli(): Promise<typeof Cli> {
  cli ??= import('./cli.js');
  return cli;
}

/** Runs the command in `argv` and returns its exit code. */
async function run(argv: string[]): Promise<number> {
  traceMark('cli starts (the bin is loaded)');
  const profile = credentialsProfile(argv);
  if (profile === undefined) {
    // `keyrot --help` and the like: the text commander printed at build time (src/recorded-help.ts).
    // import.meta.dirname is the bin's directory in the build (scripts/build.mjs).
    const help = recordedHelp(argv.slice(2), `${import.meta.dirname}/bundle/help.json`);
    if (help === undefined) return (await loadCli()).main(argv);
    await writeFully(directStdout(), help);
    return ExitCode.ok;
  }
  const served = await credentialsFromAgent(profile, process.env);
  if (!served) return (await loadCli()).credentialsFromKeychain(profile);
  await writeFully(directStdout(), credentialProcessLine(served));
  // Written: exit now, without closing the agent's connection first (~0.5 ms nobody waits for).
  process.exit(ExitCode.ok);
}

/** Prints an error no command caught, as the CLI prints errors, and returns its exit code. */
async function reportError(error: unknown): Promise<number> {
  try {
    return await (await loadCli()).reportError(error, false);
  } catch {
    // The rest of the CLI cannot be loaded (a broken install): say so as plainly as possible.
    process.stderr.write(`keyrot: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failed;
  }
}

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.exitCode = await reportError(error);
  },
);
