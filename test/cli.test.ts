import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenAgent } from '../src/agent/server.js';
import { CLI_PATH, runCli, runCommand } from './support/run-cli.js';

const ROOT_DIR = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: { keyrot: string };
};

describe('keyrot command line', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('lists every command of the contract in --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of [
      'status',
      'rotate-now',
      'daemon',
      'service',
      'backup',
      'emulator',
      'demo',
      'doctor',
      'tray',
    ]) {
      expect(result.stdout).toContain(command);
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['status', '--no-such-option'])).code).toBe(2);
  });

  it('runs the package bin (dist/cli.cjs, built from src/bin.ts)', () => {
    expect(CLI_PATH).toBe(fileURLToPath(new URL(`../${pkg.bin.keyrot}`, import.meta.url)));
  });

  it('maps an error from a lazily loaded command to its own exit code and message', async () => {
    // The error is checked against the very KeyrotError class the command threw, not a copy of it.
    const dir = mkdtempSync(join(tmpdir(), 'keyrot-cli-'));
    try {
      const config = join(dir, 'config.ini');
      writeFileSync(config, 'notify = maybe\n');
      const env = { ...process.env, KEYROT_CONFIG: config };
      for (const command of ['rotate-now', 'status']) {
        const result = await runCli([command, '--profile', 'p'], { env });
        expect(result.code, `${command}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toContain('notify');
        expect(result.stderr).toContain(config);
        expect(result.stderr).not.toContain('unexpected error');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'keyrot-cli-home-'));
  mkdirSync(join(home, '.aws'), { mode: 0o700 });
  writeFileSync(
    join(home, '.aws', 'credentials'),
    '[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-a-real-secret\n',
    { mode: 0o600 },
  );
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

// A HOME of its own, and IAM at a closed port: a command that calls AWS fails at once, after loading the SDK.
const homeEnv = () => ({
  PATH: process.env.PATH,
  HOME: home,
  XDG_CACHE_HOME: join(home, 'cache'),
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  KEYROT_AWS_MAX_ATTEMPTS: '1',
});

/**
 * The files the CLI process loaded for `args`: ES modules as a resolve hook saw them, CommonJS files from
 * require's cache at exit.
 */
async function loadedFiles(args: string[], env: NodeJS.ProcessEnv = homeEnv()): Promise<string[]> {
  const log = join(home, 'loaded.log');
  const hooks = join(home, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`,
  );
  const register = join(home, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const preload = join(home, 'preload.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)},
  Object.keys(require.cache).map((f) => f + '\\n').join('')));\n`,
  );
  writeFileSync(log, '');
  await runCommand(process.execPath, ['--require', preload, '--import', register, CLI_PATH, ...args], {
    env,
    timeoutMs: 60_000,
  });
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('node:'))
    .map((line) => (line.startsWith('file:') ? fileURLToPath(line) : line));
  return [...new Set(files)].filter((file) => file !== preload && file !== register && file !== hooks);
}

const BUNDLE = fileURLToPath(new URL('../dist/bundle/keyrot.cjs', import.meta.url));
const CLI_MAIN_BUNDLE = fileURLToPath(new URL('../dist/bundle/cli-main.cjs', import.meta.url));
const STATUS_BUNDLE = fileURLToPath(new URL('../dist/bundle/status.cjs', import.meta.url));
const CREDENTIALS_BUNDLE = fileURLToPath(new URL('../dist/bundle/credentials.cjs', import.meta.url));
const COMMANDER_BUNDLE = fileURLToPath(new URL('../dist/bundle/commander.cjs', import.meta.url));
const STATUS_ONLINE_BUNDLE = fileURLToPath(new URL('../dist/bundle/status-online.cjs', import.meta.url));
const ROTATE_NOW_BUNDLE = fileURLToPath(new URL('../dist/bundle/rotate-now.cjs', import.meta.url));

/** The loaded files that belong to a package in node_modules (the bundle holds the pure-JS ones). */
const packageFiles = (files: string[]) => files.filter((file) => file.includes('/node_modules/'));

describe('what the CLI loads', () => {
  it('loads only the bin for recorded help (commander for other words), and no commander for --version', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['status', '--help'], ['emulator', 'seed', '-h']]) {
      expect(await loadedFiles(args), args.join(' ')).toEqual([CLI_PATH]);
    }
    expect(await loadedFiles(['help', 'no-such-command'])).toEqual([
      CLI_PATH,
      CLI_MAIN_BUNDLE,
      COMMANDER_BUNDLE,
    ]);
    for (const args of [['--version'], ['-V']]) {
      expect(await loadedFiles(args), args.join(' ')).toEqual([CLI_PATH, CLI_MAIN_BUNDLE]);
    }
  });

  it('loads only the bin for keyrot credentials that the agent serves, and prints its key', async () => {
    // The agent's server (src/agent/server.ts) on the socket the bin asks, serving a key of the test's.
    const stateDir = join(home, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    const key = {
      accessKeyId: 'AKIABINBINBINBINBIN1',
      secretAccessKey: 'bin-secret/0123456789abcdefghijklmn',
    };
    const asked: string[] = [];
    const quiet = () => undefined;
    const agent = await listenAgent({
      socketPath: join(stateDir, 'agent.sock'),
      service: 'keyrot-bin-test',
      lookup: async (profile) => {
        asked.push(profile);
        return profile === 'p' ? key : null;
      },
      logger: { error: quiet, warn: quiet, info: quiet, debug: quiet },
    });
    try {
      const env = { ...homeEnv(), KEYROT_STATE_DIR: stateDir, KEYROT_KEYCHAIN_SERVICE: 'keyrot-bin-test' };
      expect(await loadedFiles(['credentials', '--profile', 'p'], env)).toEqual([CLI_PATH]);
      const printed = await runCli(['credentials', '--profile', 'p'], { env });
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stderr).toBe('');
      expect(printed.stdout).toBe(
        `${JSON.stringify({ Version: 1, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey })}\n`,
      );
      // A profile the agent refuses: the rest of the CLI reads the keychain itself.
      const refused = await loadedFiles(['credentials', '--profile', 'other'], env);
      expect(refused).toEqual(expect.arrayContaining([CLI_PATH, CLI_MAIN_BUNDLE, CREDENTIALS_BUNDLE]));
      expect(asked).toEqual(['p', 'p', 'other']);
    } finally {
      await agent.close();
    }
  });

  it('loads the bin and its own bundle for status, not every command, and no package of its own', async () => {
    const files = await loadedFiles(['status']);
    expect(files).toEqual(expect.arrayContaining([CLI_PATH, CLI_MAIN_BUNDLE, STATUS_ONLINE_BUNDLE]));
    expect(files).not.toContain(BUNDLE);
    expect(files).not.toContain(COMMANDER_BUNDLE);
    expect(files.filter((file) => !file.startsWith(ROOT_DIR))).toEqual([]);
    // Only native addons stay packages; the AWS SDK is a bundle too (dist/bundle/aws-sdk.cjs).
    expect(packageFiles(files).filter((file) => /@aws-sdk|@smithy/.test(file))).toEqual([]);
  });

  it('loads only the bin, the CLI and its own small bundle for status --offline', async () => {
    expect(await loadedFiles(['status', '--offline'])).toEqual([CLI_PATH, CLI_MAIN_BUNDLE, STATUS_BUNDLE]);
  });

  it('loads the bin and the rotation bundle for rotate-now, not every command', async () => {
    // The profile does not exist: the command stops early, once its bundle is loaded.
    const files = await loadedFiles(['rotate-now', '--profile', 'nosuch']);
    expect(files).toEqual(expect.arrayContaining([CLI_PATH, CLI_MAIN_BUNDLE, ROTATE_NOW_BUNDLE]));
    expect(files).not.toContain(BUNDLE);
    expect(files.filter((file) => !file.startsWith(ROOT_DIR))).toEqual([]);
    expect(packageFiles(files).filter((file) => /@aws-sdk|@smithy/.test(file))).toEqual([]);
  });
});

const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const compileCacheDir = () => join(home, 'cache', 'keyrot', 'node-compile-cache');
// A command run from every command's bundle through commander (the fast path leaves `--profile=p` to
// it), and the two bundles of status's fast path.
const CACHED_RUNS = ['status --profile=p', 'status --profile p', 'status --offline'];

describe.each(CACHED_RUNS)("Node's compile cache (keyrot %s)", (command) => {
  const run = command.split(' ');
  it(
    hasCompileCache
      ? `is kept in the private cache directory (Node ${process.version})`
      : `is not used on Node ${process.version}, which has none`,
    async () => {
      const first = await runCli(run, { env: homeEnv() });
      expect(first.code, first.stderr).toBe(0);
      if (!hasCompileCache) {
        expect(existsSync(join(home, 'cache'))).toBe(false);
        return;
      }
      const dir = compileCacheDir();
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const [tagDir, ...others] = readdirSync(dir);
      expect(others).toEqual([]);
      expect(tagDir).toMatch(new RegExp(`^${process.version}-${process.arch}-`));
      const cached = readdirSync(join(dir, tagDir as string));
      expect(cached.length).toBeGreaterThan(0);
      for (const file of cached) expect(statSync(join(dir, tagDir as string, file)).mode & 0o777).toBe(0o600);
      // A run from the cache does the same.
      const second = await runCli(run, { env: homeEnv() });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toBe(first.stdout);
    },
  );

  it('never writes into a cache directory that others may write', async () => {
    mkdirSync(compileCacheDir(), { recursive: true });
    chmodSync(compileCacheDir(), 0o777);
    const result = await runCli(run, { env: homeEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(compileCacheDir())).toEqual([]);
  });
});
