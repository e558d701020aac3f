// The CLI: argument parsing only, run by the bin (src/bin.ts) for every command but the one it answers
// itself. scripts/build.mjs builds this file into dist/bundle/cli-main.cjs, commander into a file of its
// own, and every command into one bundle (src/commands/index.ts → dist/bundle/keyrot.cjs) that is loaded
// only once the command to run is known: `--help` and `--version` load nothing else (the bin serves most
// help without this file: src/recorded-help.ts). Node 22.8+ keeps the compiled code of these bundles
// between runs (its compile cache); Node 20 has none and compiles them.
//
// A command that must start faster than commander loads is dispatched at the end of this file, before
// buildProgram runs, on its own import() of a small module; commander itself is loaded only after them.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { BackupInput } from './commands/backup.js';
import type { CommandContext, GlobalOptions } from './commands/context.js';
import type { CredentialsInput } from './commands/credentials.js';
import type * as CredentialsFast from './commands/credentials-fast.js';
import type { DaemonInput } from './commands/daemon.js';
import type * as DaemonFast from './commands/daemon-fast.js';
import type { DemoInput } from './commands/demo.js';
import type { DoctorInput } from './commands/doctor.js';
import type { EmulatorInput } from './commands/emulator.js';
import type { EmulatorSeedInput } from './commands/emulator-seed.js';
import type * as Commands from './commands/index.js';
import type { ProtectInput } from './commands/protect.js';
import type { RotateNowInput } from './commands/rotate-now.js';
import type * as RotateNowFast from './commands/rotate-now-fast.js';
import type { ServiceInput } from './commands/service.js';
import type { SetupInput } from './commands/setup.js';
import type { StatusInput } from './commands/status.js';
import type * as StatusFast from './commands/status-fast.js';
import type * as StatusOnlineFast from './commands/status-online-fast.js';
import type { TrayInput } from './commands/tray.js';
import { keyrotPaths } from './config/paths.js';
import { FAULT_GRAMMAR_HELP } from './emulator/faults.js';
import { ExitCode, type ExitCodeValue } from './errors/keyrot-error.js';
import { enableCompileCache as enableCompileCacheIn } from './platform/compile-cache.js';
import { directStdout, stdoutMayBeTerminal, type TextSink, writeFully } from './platform/direct-stdout.js';
import { loadCompiledEagerly } from './platform/eager-compile.js';
import { traceMark } from './time/trace.js';

/**
 * keyrot's version, from its package.json (read only when commander runs: the fast paths need none).
 * import.meta.url is the bin's URL in the build (scripts/build.mjs), beside this source's place.
 */
const version = () =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Node's compile cache in keyrot's cache directory (src/platform/compile-cache.ts). True when it is on. */
const enableCompileCache = (): boolean => enableCompileCacheIn(keyrotPaths(process.env).cacheDir);

/**
 * Commands that run for hours, where memory counts and start-up does not: they load the bundle without
 * the compile cache, so V8 compiles only the functions they call (the daemon's peak RSS on Node 24 was
 * 93 MB with the whole bundle compiled, against 75 MB this way).
 */
const LONG_RUNNING = new Set(['daemon', 'tray']);

/** A bundle of commands as the bin uses it: the commands it holds, how it runs one, how it prints an error. */
type CommandsBundle = Pick<typeof Commands, 'runCommand' | 'reportError'> & {
  commands: Partial<typeof Commands.commands>;
};

/**
 * Commands with a bundle of their own that holds only their modules (scripts/build.mjs): less for Node
 * to read and for V8 to compile or load from the compile cache than every command's bundle.
 */
const OWN_BUNDLE: Record<string, () => Promise<typeof RotateNowFast>> = {
  'rotate-now': () => import('./commands/rotate-now-fast.js'),
};

let loaded: Promise<CommandsBundle> | undefined;
/**
 * The commands (src/commands/index.ts, or `command`'s own bundle): in the built bin, the bundle beside
 * it, loaded once; through the compile cache unless `command` is long-running.
 */
function commandsModule(command?: string): Promise<CommandsBundle> {
  // Decided once, by the first caller: a later one (an error report) must not turn the cache on, and
  // must get the bundle whose KeyrotError class the command threw.
  const load: () => Promise<CommandsBundle> =
    (command !== undefined && OWN_BUNDLE[command]) || (() => import('./commands/index.js'));
  if (!loaded) {
    traceMark('the command is parsed (its bundle loads next)');
    if (command === undefined || !LONG_RUNNING.has(command)) enableCompileCache();
    loaded = loadCompiledEagerly(load);
  }
  return loaded;
}

/** One command's module, from the bundle loaded for the command that runs. */
async function command<K extends keyof typeof Commands.commands>(
  name: K,
): Promise<Awaited<ReturnType<(typeof Commands.commands)[K]>>> {
  const load = (await commandsModule()).commands[name];
  if (!load) throw new Error(`the loaded bundle holds no command ${name}`);
  return load() as Promise<Awaited<ReturnType<(typeof Commands.commands)[K]>>>;
}

let helpSink: TextSink | undefined;
/** Where commander writes help and the version: one sink on file descriptor 1, made on first use. */
const helpOutput = (): TextSink => (helpSink ??= directStdout());

/** commander, which main() loads once no fast path took the command. */
type Commander = typeof import('commander');

/** Builds the commander program; `run` receives each command's exit code. */
export function buildProgram(
  { Command, Option }: Pick<Commander, 'Command' | 'Option'>,
  run: (task: (ctx: CommandContext) => Promise<ExitCodeValue>, command: string) => Promise<void>,
): Command {
  const program = new Command('keyrot')
    .description('Keeps your own AWS IAM access keys young without ever locking you out.')
    .version(version(), '-V, --version')
    .option(
      '--credentials-file <file>',
      'AWS credentials file (default: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)',
    )
    .option('--aws-config-file <file>', 'AWS config file (default: AWS_CONFIG_FILE or ~/.aws/config)')
    .option(
      '--config <file>',
      "keyrot's settings file (default: KEYROT_CONFIG or ~/.config/keyrot/config.ini)",
    )
    .option('--endpoint-url <url>', 'IAM and STS endpoint (default: from AWS_ENDPOINT_URL* or AWS)')
    .option('--region <region>', 'AWS region (default: from the profile, else us-east-1)')
    .option('--verbose', 'show debug output on stderr', false)
    .exitOverride()
    .showHelpAfterError('(run `keyrot --help` for usage)')
    .configureOutput({
      outputError: (text, write) => write(text),
      // Help and version text straight to file descriptor 1 (src/platform/direct-stdout.ts); the stream,
      // for its colours, only when that may be a terminal (node:tty's isatty loads node:net).
      writeOut: (text) => helpOutput().write(text),
      // Help is 80 columns wide everywhere (commander's width for a pipe), a terminal's too: so the bin
      // can serve the text recorded at build time to a person at a terminal (src/recorded-help.ts).
      getOutHelpWidth: () => 80,
      getOutHasColors: () =>
        stdoutMayBeTerminal() && process.stdout.isTTY === true && process.stdout.hasColors(),
    });

  const action =
    <T>(load: (input: T, ctx: CommandContext) => Promise<ExitCodeValue>) =>
    (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions & T;
      const positional = args.slice(0, -2) as string[];
      const input = { ...command.opts(), args: positional } as T;
      return run(
        (ctx) => load(input, { ...ctx, globals: { ...ctx.globals, ...pickGlobals(globals) } }),
        command.name(),
      );
    };

  program
    .command('status')
    .description('show the age and health of the key behind each profile')
    .option('--profile <name>', 'a profile to show (repeatable)', collect)
    .option('--json', 'print one JSON document on stdout')
    .option('--offline', "read ages from keyrot's state file instead of IAM")
    .action(action<StatusInput>(async (input, ctx) => (await command('status')).statusCommand(input, ctx)));

  program
    .command('rotate-now')
    .description('rotate the keys that are due (or the named ones with --force)')
    .option('--profile <name>', 'a profile to rotate (repeatable)', collect)
    .option('--all', 'every watched profile')
    .option('--force', 'rotate even if not due')
    .option('--delete-other', "delete the user's other active key to make room")
    .option('--allow-hardlink', 'rewrite a hard-linked file anyway (its other names keep the old key)')
    .option('--dry-run', 'say what would happen and change nothing')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<RotateNowInput>(async (input, ctx) => (await command('rotateNow')).rotateNowCommand(input, ctx)),
    );

  program
    .command('setup')
    .description("choose the profiles to watch and write keyrot's settings (run once; asks on a terminal)")
    .option('--profile <name>', 'a profile to watch (repeatable; default: those whose key works)', collect)
    .option('--max-age-days <n>', 'rotate a key at this age (default 90)')
    .option('--service', 'also install the background service')
    .option('--with-tray', 'also install the service with the tray icon at login')
    .option('--yes', 'do it without asking (needed when not on a terminal)')
    .option('--json', 'ask nothing; print one JSON document on stdout')
    .action(action<SetupInput>(async (input, ctx) => (await command('setup')).setupCommand(input, ctx)));

  program
    .command('daemon')
    .description('run the background checker in the foreground (for the service manager)')
    .option('--once', 'check once and exit')
    .option('--standby', 'while another daemon runs, wait and take over when it stops (instead of exiting 4)')
    .action(action<DaemonInput>(async (input, ctx) => (await command('daemon')).daemonCommand(input, ctx)));

  const platforms = new Option('--platform <os>', 'render for this OS').choices(['linux', 'darwin', 'win32']);
  program
    .command('service')
    .description('install, uninstall or inspect the user service (systemd, launchd, Task Scheduler)')
    .argument('<action>', 'install | uninstall | status')
    .option('--dry-run', 'print what would be written and run')
    .option('--with-tray', 'also start the tray icon at login')
    .addOption(platforms)
    .action(
      action<ServiceInput>(async (input, ctx) => (await command('service')).serviceCommand(input, ctx)),
    );

  program
    .command('backup')
    .description('list, show or restore backups of the credentials file kept in the keychain')
    .argument('<action>', 'list | show | restore')
    .argument('[id]', 'backup id (show, restore)')
    .option('--json', 'print one JSON document on stdout (list)')
    .option('--yes', 'restore without asking')
    .action(action<BackupInput>(async (input, ctx) => (await command('backup')).backupCommand(input, ctx)));

  const emulator = program
    .command('emulator')
    .description('run the local IAM/STS emulator (see `keyrot emulator --help` for faults)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', '0')
    .option('--state <file>', 'persist users and keys to this file (0600)')
    .option('--propagation-delay-ms <n>', 'eventual consistency window for key changes', '0')
    .option('--latency-ms <n>', 'added to every response', '0')
    .option('--last-used-delay-ms <n>', 'how long a key use stays hidden from GetAccessKeyLastUsed', '0')
    .option('--allow-mfa-code-reuse', 'accept an MFA code used before (AWS does not)', false)
    .option('--fault <spec>', 'inject a fault, ACTION:KIND[:COUNT] (repeatable)', collect)
    .addHelpText('after', `\n${FAULT_GRAMMAR_HELP}`)
    .action(
      action<EmulatorInput>(async (input, ctx) => (await command('emulator')).emulatorCommand(input, ctx)),
    );
  emulator
    .command('seed')
    .description('create a user and keys in a running emulator, optionally writing the key to a profile')
    .requiredOption('--endpoint <url>', 'the running emulator')
    .requiredOption('--user <name>', 'IAM user name')
    .option('--key-age-days <n>', 'backdate the key by N days', '0')
    .addOption(
      new Option('--second-key <kind>', 'a second key')
        .choices(['none', 'active', 'inactive'])
        .default('none'),
    )
    .option('--mfa', 'give the user a virtual MFA device and the MFA-only key policy')
    .option('--admin', 'let the user manage every user')
    .option('--profile <name>', 'profile to write the key into (with --credentials-file)')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<EmulatorSeedInput>(async (input, ctx) =>
        (await command('emulatorSeed')).emulatorSeedCommand(input, ctx),
      ),
    );

  program
    .command('demo')
    .description('rotate a key end to end against the built-in emulator in a throwaway HOME')
    .action(action<DemoInput>(async (input, ctx) => (await command('demo')).demoCommand(input, ctx)));

  program
    .command('protect')
    .description("move a profile's key into the OS keychain; the AWS tools get it through credential_process")
    .requiredOption('--profile <name>', 'the profile to protect (profiles holding the same key come along)')
    .action(
      action<ProtectInput>(async (input, ctx) => (await command('protect')).protectCommand(input, ctx)),
    );

  program
    .command('unprotect')
    .description("put a protected profile's key back into the credentials file")
    .requiredOption('--profile <name>', 'the profile to unprotect (profiles holding the same key come along)')
    .action(
      action<ProtectInput>(async (input, ctx) => (await command('protect')).unprotectCommand(input, ctx)),
    );

  program
    .command('credentials')
    .description("print a protected profile's key as credential_process JSON (run by the AWS tools)")
    .requiredOption('--profile <name>', 'the protected profile')
    .action(
      action<CredentialsInput>(async (input, ctx) => {
        const { printProtectedCredentials } = await command('credentials');
        await printProtectedCredentials({ ...input, awsConfigFile: ctx.globals.awsConfigFile }, ctx.io);
        return ExitCode.ok;
      }),
    );

  program
    .command('doctor')
    .description('check that everything keyrot needs is in place')
    .option('--json', 'print one JSON document on stdout')
    .action(action<DoctorInput>(async (input, ctx) => (await command('doctor')).doctorCommand(input, ctx)));

  program
    .command('tray')
    .description('show a tray icon with the health of your keys')
    .action(action<TrayInput>(async (input, ctx) => (await command('tray')).trayCommand(input, ctx)));

  return program;
}

function pickGlobals(all: GlobalOptions): GlobalOptions {
  const { credentialsFile, awsConfigFile, config, endpointUrl, region, verbose } = all;
  return { credentialsFile, awsConfigFile, config, endpointUrl, region, verbose: Boolean(verbose) };
}

/** Prints an error that happened outside any command and returns its exit code. */
export async function reportError(error: unknown, verbose: boolean): Promise<ExitCodeValue> {
  try {
    return (await commandsModule()).reportError(error, process.stderr, verbose);
  } catch {
    // The commands' bundle cannot be loaded (a broken install): say so as plainly as possible.
    process.stderr.write(`keyrot: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failed;
  }
}

/**
 * `keyrot credentials --profile P` when the daemon's agent did not serve it (the bin asked it first,
 * src/bin.ts): the keychain read here, from the command's own small bundle
 * (src/commands/credentials-fast.ts → dist/bundle/credentials.cjs), not the one of every command.
 */
export async function credentialsFromKeychain(profile: string): Promise<number> {
  exitQuietlyWhenReaderCloses();
  const fast: typeof CredentialsFast = await import('./commands/credentials-fast.js');
  return runReported(fast, false, async () => {
    await fast.printProtectedCredentials({ profile }, { env: process.env, stdout: process.stdout });
    return ExitCode.ok;
  });
}

/**
 * `keyrot --version` (or `-V`) alone: the version from package.json, written as commander writes it,
 * without loading commander (~5 ms on Node 24, with the child_process it requires).
 */
async function versionFastPath(argv: string[]): Promise<number | undefined> {
  const args = argv.slice(2);
  if (args.length !== 1 || (args[0] !== '--version' && args[0] !== '-V')) return undefined;
  await writeFully(directStdout(), `${version()}\n`);
  return ExitCode.ok;
}

/** The flags `keyrot daemon` takes on its fast path; anything else goes through commander. */
const DAEMON_FAST_FLAGS = new Set(['--once', '--standby', '--verbose']);

/**
 * `keyrot daemon` with at most --once, --standby and --verbose (what the service runs): straight to the
 * command, before the program is built, from its own small bundle (src/commands/daemon-fast.ts →
 * dist/bundle/daemon.cjs). The daemon parent idles for hours and forks a worker for each check, so it
 * holds only its own wiring in memory, not every command's code. Undefined for anything else.
 */
async function daemonFastPath(argv: string[]): Promise<number | undefined> {
  const [name, ...flags] = argv.slice(2);
  if (name !== 'daemon' || new Set(flags).size !== flags.length) return undefined;
  if (!flags.every((flag) => DAEMON_FAST_FLAGS.has(flag))) return undefined;
  const verbose = flags.includes('--verbose');
  exitQuietlyWhenReaderCloses();
  const lean: typeof DaemonFast = await import('./commands/daemon-fast.js');
  const input: DaemonInput = {
    ...(flags.includes('--once') ? { once: true } : {}),
    ...(flags.includes('--standby') ? { standby: true } : {}),
  };
  return runReported(lean, verbose, () => lean.daemonCommand(input, lean.processContext({ verbose })));
}

/** The global value options a fast path takes after its command, and where each goes. */
const FAST_GLOBAL_VALUES: Record<string, Exclude<keyof GlobalOptions, 'verbose'>> = {
  '--config': 'config',
  '--credentials-file': 'credentialsFile',
  '--aws-config-file': 'awsConfigFile',
  '--endpoint-url': 'endpointUrl',
  '--region': 'region',
};

/**
 * A fast path's words after its command, read as commander reads them: the command's own flags
 * (`flags`: option → input field), `--profile` (repeatable), `--verbose` and the global value options,
 * each value a separate word that does not start with `-`. Undefined for anything else (`--help`, an
 * unknown option, `--opt=value`, a missing value, an argument), which commander then parses as always,
 * with its own usage errors.
 */
function fastPathArgs<T extends { profile?: string[] }>(
  args: string[],
  flags: Record<string, Exclude<keyof T, 'profile'>>,
): { input: T; globals: GlobalOptions } | undefined {
  const input = {} as T;
  const globals: GlobalOptions = { verbose: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const flag = Object.hasOwn(flags, arg) ? flags[arg] : undefined;
    if (flag !== undefined) (input as Record<keyof T, unknown>)[flag] = true;
    else if (arg === '--verbose') globals.verbose = true;
    else {
      const field =
        arg === '--profile' ? 'profile' : Object.hasOwn(FAST_GLOBAL_VALUES, arg) && FAST_GLOBAL_VALUES[arg];
      const value = args[++i];
      if (!field || value === undefined || value.startsWith('-')) return undefined;
      if (field === 'profile') input.profile = [...(input.profile ?? []), value];
      else globals[field] = value;
    }
  }
  return { input, globals };
}

/**
 * `keyrot status` with only its own and the global options (fastPathArgs): straight to the command,
 * before commander is loaded, from a bundle of its own:
 * `--offline` from a small one with local files only (src/commands/status-fast.ts →
 * dist/bundle/status.cjs), online from the online command's modules only
 * (src/commands/status-online-fast.ts → dist/bundle/status-online.cjs). Undefined for anything else,
 * which commander parses as always.
 */
async function statusFastPath(argv: string[]): Promise<number | undefined> {
  const [name, ...args] = argv.slice(2);
  if (name !== 'status') return undefined;
  const parsed = fastPathArgs<StatusInput>(args, { '--offline': 'offline', '--json': 'json' });
  if (!parsed) return undefined;
  const { input, globals } = parsed;
  // Either bundle from Node's compile cache (--offline: ~0.7 ms of CPU less on Node 24).
  enableCompileCache();
  if (input.offline) {
    const lean: typeof StatusFast = await import('./commands/status-fast.js');
    // Its lines go straight to file descriptor 1: making process.stdout costs ~3 ms (direct-stdout.ts).
    return runReported(lean, globals.verbose, () =>
      lean.statusOfflineCommand(input, lean.processContext(globals, directStdout())),
    );
  }
  exitQuietlyWhenReaderCloses();
  // Compiled eagerly into the cache (src/platform/eager-compile.ts): ~4 ms of CPU less on Node 24.
  const online: typeof StatusOnlineFast = await loadCompiledEagerly(
    () => import('./commands/status-online-fast.js'),
  );
  const code = await runReported(online, globals.verbose, () =>
    online.statusCommand(input, online.processContext(globals)),
  );
  // Once nothing is left to do (all written, the AWS clients' sockets closed): exit without Node's
  // teardown of the process, which nobody waits for (~1 ms on Node 24).
  process.once('beforeExit', () => process.exit());
  return code;
}

/**
 * `keyrot rotate-now` with only its own and the global options (fastPathArgs): the command runs from
 * its own bundle exactly as commander's action runs it (commandsModule, runCommand), without loading
 * commander and building the program first (~7 ms on Node 24). Undefined for anything else.
 */
async function rotateNowFastPath(argv: string[]): Promise<number | undefined> {
  const [name, ...args] = argv.slice(2);
  if (name !== 'rotate-now') return undefined;
  const parsed = fastPathArgs<RotateNowInput>(args, {
    '--all': 'all',
    '--force': 'force',
    '--delete-other': 'deleteOther',
    '--allow-hardlink': 'allowHardlink',
    '--dry-run': 'dryRun',
    '--json': 'json',
  });
  if (!parsed) return undefined;
  const { input, globals } = parsed;
  exitQuietlyWhenReaderCloses();
  const bundle = await commandsModule(name);
  return bundle.runCommand(async (ctx) => (await command('rotateNow')).rotateNowCommand(input, ctx), globals);
}

/** Runs a fast path's command; an error it throws is printed by the error printer of the same bundle. */
async function runReported(
  bundle: { reportError(error: unknown, stderr: NodeJS.WritableStream, verbose: boolean): number },
  verbose: boolean,
  run: () => Promise<number>,
): Promise<number> {
  try {
    return await run();
  } catch (error) {
    return bundle.reportError(error, process.stderr, verbose);
  }
}

/** `keyrot … | head` closes stdout early: the reader is done, which is not an error worth a stack trace. */
function exitQuietlyWhenReaderCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? ExitCode.ok);
  });
}

/** The entry point: parse, run one command, exit with its code. */
export async function main(argv: string[]): Promise<number> {
  traceMark('the rest of the CLI is loaded');
  // Each path that writes with process.stdout guards it first (exitQuietlyWhenReaderCloses);
  // --version, status --offline and commander's help write to file descriptor 1 directly.
  const versionShown = await versionFastPath(argv);
  if (versionShown !== undefined) return versionShown;
  const status = await statusFastPath(argv);
  if (status !== undefined) return status;
  const rotated = await rotateNowFastPath(argv);
  if (rotated !== undefined) return rotated;
  const daemon = await daemonFastPath(argv);
  if (daemon !== undefined) return daemon;
  let exitCode: number = ExitCode.ok;
  const verbose = argv.includes('--verbose');
  const commander: Commander = await import('commander');
  const program = buildProgram(commander, async (task, name) => {
    exitQuietlyWhenReaderCloses();
    exitCode = await (await commandsModule(name)).runCommand(task, { verbose });
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof commander.CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return await reportError(error, verbose);
  }
  return exitCode;
}
