#!/usr/bin/env node
// Argument parsing only: every command lives in src/commands/ and is loaded on demand, so that
// `--help` and `--version` never load the AWS SDK. The build also bundles this file with commander
// into one CommonJS file (dist/cli.cjs, the `bin`): Node starts that ~20 ms faster than ESM modules.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { BackupInput } from './commands/backup.js';
import { type CommandContext, type GlobalOptions, processContext } from './commands/context.js';
import type { CredentialsInput } from './commands/credentials.js';
import type { DaemonInput } from './commands/daemon.js';
import type { DemoInput } from './commands/demo.js';
import type { DoctorInput } from './commands/doctor.js';
import type { EmulatorInput } from './commands/emulator.js';
import type { EmulatorSeedInput } from './commands/emulator-seed.js';
import type { ProtectInput } from './commands/protect.js';
import type { RotateNowInput } from './commands/rotate-now.js';
import type * as RotationCommands from './commands/rotation-commands.js';
import type { ServiceInput } from './commands/service.js';
import type { SetupInput } from './commands/setup.js';
import type { StatusInput } from './commands/status.js';
import type { TrayInput } from './commands/tray.js';
import { keyrotPaths } from './config/paths.js';
import { FAULT_GRAMMAR_HELP } from './emulator/faults.js';
import { ExitCode, type ExitCodeValue } from './errors/keyrot-error.js';
import { traceMark } from './time/trace.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `rotate-now` and `status`: from the prebuilt bundle with its compiled-code cache for `use` (saved
 * after a run that succeeds), or from their modules when running from the sources (no build).
 */
async function rotationCommands(use: string): Promise<typeof RotationCommands> {
  const bundlePath = fileURLToPath(new URL('./commands/rotation-commands.bundle.cjs', import.meta.url));
  if (!existsSync(bundlePath)) return import('./commands/rotation-commands.js');
  const [{ loadBundle }, errors] = await Promise.all([
    import('./code-cache/load-bundle.js'),
    // The bundle must throw the very KeyrotError class that reportError checks.
    import('./errors/keyrot-error.js'),
  ]);
  const bundle = loadBundle<typeof RotationCommands>({
    bundlePath,
    cacheDir: keyrotPaths(process.env).cacheDir,
    use,
    externals: { '../errors/keyrot-error.js': errors },
  });
  process.once('exit', (code) => {
    if (code === ExitCode.ok) bundle.saveCache();
  });
  return bundle.exports;
}

/** Builds the commander program; `run` receives each command's exit code. */
export function buildProgram(
  run: (task: (ctx: CommandContext) => Promise<ExitCodeValue>) => Promise<void>,
): Command {
  const program = new Command('keyrot')
    .description('Keeps your own AWS IAM access keys young without ever locking you out.')
    .version(version, '-V, --version')
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
    .configureOutput({ outputError: (text, write) => write(text) });

  const action =
    <T>(load: (input: T, ctx: CommandContext) => Promise<ExitCodeValue>) =>
    (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions & T;
      const positional = args.slice(0, -2) as string[];
      const input = { ...command.opts(), args: positional } as T;
      return run((ctx) => load(input, { ...ctx, globals: { ...ctx.globals, ...pickGlobals(globals) } }));
    };

  program
    .command('status')
    .description('show the age and health of the key behind each profile')
    .option('--profile <name>', 'a profile to show (repeatable)', collect)
    .option('--json', 'print one JSON document on stdout')
    .option('--offline', "read ages from keyrot's state file instead of IAM")
    .action(
      action<StatusInput>(async (input, ctx) =>
        (await rotationCommands(input.offline ? 'status-offline' : 'status')).statusCommand(input, ctx),
      ),
    );

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
      action<RotateNowInput>(async (input, ctx) =>
        (await rotationCommands('rotate-now')).rotateNowCommand(input, ctx),
      ),
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
    .action(
      action<SetupInput>(async (input, ctx) =>
        (await import('./commands/setup.js')).setupCommand(input, ctx),
      ),
    );

  program
    .command('daemon')
    .description('run the background checker in the foreground (for the service manager)')
    .option('--once', 'check once and exit')
    .option('--standby', 'while another daemon runs, wait and take over when it stops (instead of exiting 4)')
    .action(
      action<DaemonInput>(async (input, ctx) =>
        (await import('./commands/daemon.js')).daemonCommand(input, ctx),
      ),
    );

  const platforms = new Option('--platform <os>', 'render for this OS').choices(['linux', 'darwin', 'win32']);
  program
    .command('service')
    .description('install, uninstall or inspect the user service (systemd, launchd, Task Scheduler)')
    .argument('<action>', 'install | uninstall | status')
    .option('--dry-run', 'print what would be written and run')
    .option('--with-tray', 'also start the tray icon at login')
    .addOption(platforms)
    .action(
      action<ServiceInput>(async (input, ctx) =>
        (await import('./commands/service.js')).serviceCommand(input, ctx),
      ),
    );

  program
    .command('backup')
    .description('list, show or restore backups of the credentials file kept in the keychain')
    .argument('<action>', 'list | show | restore')
    .argument('[id]', 'backup id (show, restore)')
    .option('--json', 'print one JSON document on stdout (list)')
    .option('--yes', 'restore without asking')
    .action(
      action<BackupInput>(async (input, ctx) =>
        (await import('./commands/backup.js')).backupCommand(input, ctx),
      ),
    );

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
      action<EmulatorInput>(async (input, ctx) =>
        (await import('./commands/emulator.js')).emulatorCommand(input, ctx),
      ),
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
        (await import('./commands/emulator-seed.js')).emulatorSeedCommand(input, ctx),
      ),
    );

  program
    .command('demo')
    .description('rotate a key end to end against the built-in emulator in a throwaway HOME')
    .action(
      action<DemoInput>(async (input, ctx) => (await import('./commands/demo.js')).demoCommand(input, ctx)),
    );

  program
    .command('protect')
    .description("move a profile's key into the OS keychain; the AWS tools get it through credential_process")
    .requiredOption('--profile <name>', 'the profile to protect (profiles holding the same key come along)')
    .action(
      action<ProtectInput>(async (input, ctx) =>
        (await import('./commands/protect.js')).protectCommand(input, ctx),
      ),
    );

  program
    .command('unprotect')
    .description("put a protected profile's key back into the credentials file")
    .requiredOption('--profile <name>', 'the profile to unprotect (profiles holding the same key come along)')
    .action(
      action<ProtectInput>(async (input, ctx) =>
        (await import('./commands/protect.js')).unprotectCommand(input, ctx),
      ),
    );

  program
    .command('credentials')
    .description("print a protected profile's key as credential_process JSON (run by the AWS tools)")
    .requiredOption('--profile <name>', 'the protected profile')
    .action(
      action<CredentialsInput>(async (input, ctx) => {
        const { printProtectedCredentials } = await import('./commands/credentials.js');
        await printProtectedCredentials({ ...input, awsConfigFile: ctx.globals.awsConfigFile }, ctx.io);
        return ExitCode.ok;
      }),
    );

  program
    .command('doctor')
    .description('check that everything keyrot needs is in place')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<DoctorInput>(async (input, ctx) =>
        (await import('./commands/doctor.js')).doctorCommand(input, ctx),
      ),
    );

  program
    .command('tray')
    .description('show a tray icon with the health of your keys')
    .action(
      action<TrayInput>(async (input, ctx) => (await import('./commands/tray.js')).trayCommand(input, ctx)),
    );

  return program;
}

function pickGlobals(all: GlobalOptions): GlobalOptions {
  const { credentialsFile, awsConfigFile, config, endpointUrl, region, verbose } = all;
  return { credentialsFile, awsConfigFile, config, endpointUrl, region, verbose: Boolean(verbose) };
}

/** Prints an error for the person (src/errors/describe-error.ts) and returns its exit code. */
export async function reportError(
  error: unknown,
  stderr: NodeJS.WritableStream,
  verbose: boolean,
): Promise<ExitCodeValue> {
  // Imported here, not bundled: the check must use the very KeyrotError class the commands throw.
  const { errorText, exitCodeOf } = await import('./errors/describe-error.js');
  stderr.write(errorText(error, { verbose }));
  return exitCodeOf(error);
}

/**
 * `keyrot credentials --profile P` exactly as a credential_process line runs it, which every AWS CLI
 * call waits for: straight to the command, before the program is built. Undefined for anything else.
 */
async function credentialsFastPath(argv: string[]): Promise<number | undefined> {
  const [command, flag, profile, ...rest] = argv.slice(2);
  if (command !== 'credentials' || flag !== '--profile' || !profile || rest.length > 0) return undefined;
  try {
    const { printProtectedCredentials } = await import('./commands/credentials.js');
    await printProtectedCredentials({ profile }, { env: process.env, stdout: process.stdout });
    return ExitCode.ok;
  } catch (error) {
    return reportError(error, process.stderr, false);
  }
}

/** The entry point: parse, run one command, exit with its code. */
export async function main(argv: string[]): Promise<number> {
  traceMark('cli starts (the bin is loaded)');
  // `keyrot … | head` closes stdout early: the reader is done, which is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? ExitCode.ok);
  });
  const fast = await credentialsFastPath(argv);
  if (fast !== undefined) return fast;
  let exitCode: number = ExitCode.ok;
  const verbose = argv.includes('--verbose');
  const program = buildProgram(async (task) => {
    try {
      exitCode = await task(processContext({ verbose }));
    } catch (error) {
      exitCode = await reportError(error, process.stderr, verbose);
    }
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return await reportError(error, process.stderr, verbose);
  }
  return exitCode;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.exitCode = await reportError(error, process.stderr, false);
  },
);
