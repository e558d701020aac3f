// A test's private world: a temp HOME with ~/.aws, keyrot's config and state dirs, a keychain service
// name of its own on the test session's Secret Service, an IAM/STS emulator reached over HTTP, and the
// environment that points the built CLI at all of it. The world is removed when the test file ends
// (test/support/cleanup.ts), also when a test failed; close() removes it sooner.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type EmulatorOptions,
  type RunningEmulator,
  type SeededUser,
  type SeedUserInput,
  seedUser,
  startEmulator,
} from '../../src/emulator/index.js';
import { atFileEnd, tempDir } from './cleanup.js';
import { realPartsAvailable } from './real-part.js';
import { type CliResult, runCli } from './run-cli.js';

/** What createWorld builds on. */
export interface WorldOptions {
  /** Names the temp HOME (`keyrot-<label>-XXXXXX`); default `world`. */
  label?: string;
  /** A running emulator to share (it stays running); otherwise the world starts its own and closes it. */
  emulator?: RunningEmulator;
  /** Options of the world's own emulator. */
  emulatorOptions?: EmulatorOptions;
  /** Added to (or, set to undefined, removed from) the environment of every CLI run. */
  env?: NodeJS.ProcessEnv;
}

/** One test's private world. */
export interface World {
  home: string;
  credentialsFile: string;
  configFile: string;
  /** keyrot's own settings file, config.ini (not written unless a test writes it). */
  keyrotConfigFile: string;
  stateDir: string;
  logFile: string;
  /** The keychain service name of this world alone. */
  keychainService: string;
  env: NodeJS.ProcessEnv;
  emulator: RunningEmulator;
  /** Every stdout/stderr the CLI printed through run() (for the secrets sweep). */
  captures: string[];
  /** Every secret this world has seen: seeded ones, and those currentKey() read. */
  secrets: Set<string>;
  /** Runs the built CLI in this world. */
  run(
    args: string[],
    options?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<CliResult>;
  /** Seeds an IAM user in the emulator, remembering its secrets. */
  seed(user: string, options?: Omit<SeedUserInput, 'user'>): Promise<SeededUser>;
  readCredentials(): Promise<string>;
  /** Writes the credentials file (0600). */
  writeCredentials(text: string): Promise<void>;
  /** Writes ~/.aws/config (0600). */
  writeConfig(text: string): Promise<void>;
  /** Writes keyrot's config.ini. */
  writeKeyrotConfig(text: string): Promise<void>;
  /** The key pair `[profile]` of the credentials file (readCredentials) holds now; remembers its secret. */
  currentKey(profile: string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** The keyrot log, every state file and every capture, concatenated. */
  leftovers(): Promise<string>;
  /** Stops the world's own emulator, clears its keychain items and removes its HOME (idempotent). */
  close(): Promise<void>;
}

/** Creates a world (see World); it is closed when the test file ends if the test does not close it. */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const home = await tempDir(options.label ?? 'world');
  const emulator =
    options.emulator ?? (await startEmulator({ host: '127.0.0.1', port: 0, ...options.emulatorOptions }));
  const ownEmulator = options.emulator === undefined;
  const awsDir = path.join(home, '.aws');
  await mkdir(awsDir, { recursive: true, mode: 0o700 });
  const credentialsFile = path.join(awsDir, 'credentials');
  const keyrotConfigFile = path.join(home, '.config', 'keyrot', 'config.ini');
  const stateDir = path.join(home, '.local', 'state', 'keyrot');
  const keychainService = `keyrot-test-${randomBytes(6).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    USER: 'keyrot-test',
    LANG: 'C.UTF-8',
    // The run's private temp dir (test/support/leftover-check.ts), so what the CLI makes there is seen.
    TMPDIR: process.env.TMPDIR,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    DISPLAY: process.env.DISPLAY,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    KEYROT_KEYCHAIN_SERVICE: keychainService,
    AWS_ENDPOINT_URL: emulator.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  const captures: string[] = [];
  const secrets = new Set<string>();
  let closed = false;
  const world: World = {
    home,
    credentialsFile,
    configFile: path.join(awsDir, 'config'),
    keyrotConfigFile,
    stateDir,
    logFile: path.join(stateDir, 'keyrot.log'),
    keychainService,
    env,
    emulator,
    captures,
    secrets,
    async run(args, runOptions = {}) {
      const result = await runCli(args, {
        env: { ...env, ...runOptions.env },
        input: runOptions.input,
        timeoutMs: runOptions.timeoutMs,
      });
      captures.push(result.stdout, result.stderr);
      return result;
    },
    async seed(user, seedOptions = {}) {
      const seeded = await seedUser(emulator, { user, ...seedOptions });
      for (const key of seeded.keys) secrets.add(key.secretAccessKey);
      return seeded;
    },
    readCredentials: () => readFile(credentialsFile, 'utf8'),
    writeCredentials: (text) => writeFile(credentialsFile, text, { mode: 0o600 }),
    writeConfig: (text) => writeFile(path.join(awsDir, 'config'), text, { mode: 0o600 }),
    async writeKeyrotConfig(text) {
      await mkdir(path.dirname(keyrotConfigFile), { recursive: true, mode: 0o700 });
      await writeFile(keyrotConfigFile, text, { mode: 0o600 });
    },
    async currentKey(profile) {
      // Through this.readCredentials: a copy of the world that reads another file reads its own.
      const text = await this.readCredentials();
      const key = {
        accessKeyId: valueIn(text, profile, 'aws_access_key_id') ?? '',
        secretAccessKey: valueIn(text, profile, 'aws_secret_access_key') ?? '',
      };
      if (key.secretAccessKey) secrets.add(key.secretAccessKey);
      return key;
    },
    async leftovers() {
      let text = captures.join('\n');
      if (existsSync(stateDir)) {
        for (const name of await readdir(stateDir, { recursive: true })) {
          text += await readFile(path.join(stateDir, String(name)), 'utf8').catch(() => '');
        }
      }
      return text;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownEmulator) await emulator.close();
      // The session's keyring is shared by every suite: a big keyring slows every later write.
      if (realPartsAvailable('secretService'))
        spawnSync('secret-tool', ['clear', 'service', keychainService], { stdio: 'ignore', env });
      await rm(home, { recursive: true, force: true });
    },
  };
  atFileEnd(() => world.close());
  return world;
}

/**
 * The value of `key` in `[profile]` of a shared file's text (last occurrence), read line by line
 * independently of keyrot's parser, so tests do not check keyrot's edits with keyrot's own reader.
 */
export function valueIn(text: string, profile: string, key: string): string | undefined {
  let section = '';
  let value: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[') && line.endsWith(']')) section = line.slice(1, -1);
    else if (section === profile && line.includes('=')) {
      const [name, ...rest] = line.split('=');
      if (name!.trim() === key) value = rest.join('=').trim();
    }
  }
  return value;
}

/** A `[profile]` block holding `key` (and `extra` lines after it). */
export function profileBlock(
  name: string,
  key: { accessKeyId: string; secretAccessKey: string },
  extra = '',
): string {
  return `[${name}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n${extra}`;
}

/** Every one of `secrets` that occurs in `text`. */
export function leakedSecrets(text: string, secrets: Iterable<string>): string[] {
  return [...secrets].filter((secret) => secret && text.includes(secret));
}
