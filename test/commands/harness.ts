// Shared set-up of the end-to-end rotation tests: an in-process emulator reached over HTTP, a temp

// HOME with AWS files, its own keychain service and state dir, and the built CLI as a subprocess.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  type EmulatorOptions,
  type RunningEmulator,
  type SeededUser,
  type SeedUserInput,
  seedUser,
  startEmulator,
} from '../../src/emulator/index.js';
import { requireRealPart } from '../support/real-part.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/** True when scripts/test-session.sh started a Secret Service for this run. */
export const secretServiceAvailable = process.env.KEYROT_TEST_SECRET_SERVICE === '1';

/** describe() for suites that need the real Secret Service (skips locally without it, fails under CI). */
export const secretServiceSuite = requireRealPart(
  'Secret Service',
  secretServiceAvailable,
  'run under scripts/test-session.sh with gnome-keyring',
);
/** True when Debian's AWS CLI v2 is installed. */
export const awsCliAvailable = existsSync('/usr/bin/aws');

/** One test's private world. */
export interface World {
  home: string;
  credentialsFile: string;
  configFile: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  emulator: RunningEmulator;
  /** Every stdout/stderr the CLI printed in this world (for the secrets sweep). */
  captures: string[];
  run(
    args: string[],
    options?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<CliResult>;
  seed(user: string, options?: Omit<SeedUserInput, 'user'>): Promise<SeededUser>;
  readCredentials(): Promise<string>;
  /** The keyrot log, the state file and every capture, concatenated. */
  leftovers(): Promise<string>;
}

/** Creates a world; `emulator` reuses a running one (its options are then ignored). */
export async function createWorld(
  options: { emulator?: RunningEmulator; emulatorOptions?: EmulatorOptions; env?: NodeJS.ProcessEnv } = {},
): Promise<World> {
  const home = await mkdtemp(join(tmpdir(), 'keyrot-e2e-'));
  const emulator =
    options.emulator ?? (await startEmulator({ host: '127.0.0.1', port: 0, ...options.emulatorOptions }));
  const awsDir = join(home, '.aws');
  await mkdir(awsDir, { recursive: true, mode: 0o700 });
  const credentialsFile = join(awsDir, 'credentials');
  const configFile = join(awsDir, 'config');
  const stateDir = join(home, 'state');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    XDG_CONFIG_HOME: join(home, '.config'),
    KEYROT_STATE_DIR: stateDir,
    KEYROT_KEYCHAIN_SERVICE: `keyrot-test-${randomBytes(5).toString('hex')}`,
    AWS_ENDPOINT_URL: emulator.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  const captures: string[] = [];
  const world: World = {
    home,
    credentialsFile,
    configFile,
    stateDir,
    env,
    emulator,
    captures,
    async run(args, runOptions = {}) {
      const result = await runCli(args, {
        env: { ...env, ...runOptions.env },
        input: runOptions.input,
        timeoutMs: runOptions.timeoutMs,
      });
      captures.push(result.stdout, result.stderr);
      return result;
    },
    seed: (user, seedOptions = {}) => seedUser(emulator, { user, ...seedOptions }),
    readCredentials: () => readFile(credentialsFile, 'utf8'),
    async leftovers() {
      let text = captures.join('\n');
      if (existsSync(stateDir)) {
        for (const name of await readdir(stateDir, { recursive: true })) {
          const path = join(stateDir, String(name));
          text += await readFile(path, 'utf8').catch(() => '');
        }
      }
      return text;
    },
  };
  return world;
}

/** Fails when any of `secrets` appears in what the worlds left behind: CLI output, logs, state files. */
export async function expectNoSecretLeft(worlds: World[], secrets: string[]): Promise<void> {
  const leftovers = (await Promise.all(worlds.map((w) => w.leftovers()))).join('\n');
  for (const secret of secrets) {
    expect(leftovers.includes(secret), 'a secret leaked into output, log or state').toBe(false);
  }
}

/** What suiteWorlds gives a suite. */
export interface SuiteWorlds {
  /** Secrets the final sweep looks for (push every secret a test sees). */
  secrets: string[];
  /** A fresh world on the suite's emulator. */
  world(): Promise<World>;
  /** A fresh world whose profile `p` holds a 100-day-old key of IAM user `user` (seeded with `options`). */
  seededWorld(
    user: string,
    options?: Omit<SeedUserInput, 'user'>,
  ): Promise<{ w: World; key: { accessKeyId: string; secretAccessKey: string }; seeded: SeededUser }>;
}

/**
 * Call inside a describe: one emulator for the suite's worlds, started before its tests; after them the
 * secrets sweep runs, the emulator closes and every world's HOME is removed.
 */
export function suiteWorlds(): SuiteWorlds {
  let emulator: RunningEmulator | undefined;
  const worlds: World[] = [];
  const secrets: string[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    try {
      await expectNoSecretLeft(worlds, secrets);
    } finally {
      await emulator?.close();
      await Promise.all(worlds.map((w) => rm(w.home, { recursive: true, force: true })));
    }
  });
  const world = async () => {
    const w = await createWorld({ emulator });
    worlds.push(w);
    return w;
  };
  return {
    secrets,
    world,
    async seededWorld(user, options = {}) {
      const w = await world();
      const seeded = await w.seed(user, { keyAgeDays: 100, ...options });
      const key = seeded.keys[0]!;
      secrets.push(key.secretAccessKey);
      await writeCredentials(w, profileBlock('p', key));
      return { w, key, seeded };
    },
  };
}

/** Writes the credentials file (mode 0600). */
export async function writeCredentials(world: World, text: string): Promise<void> {
  await writeFile(world.credentialsFile, text, { mode: 0o600 });
}

/** A `[profile]` block holding a seeded key. */
export function profileBlock(
  name: string,
  key: { accessKeyId: string; secretAccessKey: string },
  extra = '',
): string {
  return `[${name}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n${extra}`;
}

/** Runs Debian's AWS CLI v2 against the world's files and emulator (async: the emulator runs in this process). */
export function awsCli(
  world: World,
  args: string[],
  profile: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/aws', [...args, '--endpoint-url', world.emulator.url, '--output', 'json'], {
      env: {
        PATH: process.env.PATH,
        HOME: world.home,
        AWS_SHARED_CREDENTIALS_FILE: world.credentialsFile,
        AWS_CONFIG_FILE: world.configFile,
        AWS_PROFILE: profile,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The value of `key` in `[profile]` of a credentials file text (last occurrence). */
export function valueIn(text: string, profile: string, key: string): string | undefined {
  let section = '';
  let value: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[') && line.endsWith(']')) section = line.slice(1, -1);
    else if (section === profile && line.includes('=')) {
      const [k, ...rest] = line.split('=');
      if (k!.trim() === key) value = rest.join('=').trim();
    }
  }
  return value;
}

/** The key pair `[profile]` of the credentials file resolves to. */
export async function fileKey(
  world: World,
  profile = 'p',
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const text = await world.readCredentials();
  return {
    accessKeyId: valueIn(text, profile, 'aws_access_key_id') ?? '',
    secretAccessKey: valueIn(text, profile, 'aws_secret_access_key') ?? '',
  };
}

/**
 * docs/rotation-protocol.md's invariants for a world whose profile `p` started with `old`: the file is
 * complete and its key works; the user has at most two keys; every key is held (the file, the old key, or
 * the journal's new key when `allowJournalKey`). With `finished`, the old key is no longer active.
 */
export async function checkInvariants(
  world: World,
  userName: string,
  old: { accessKeyId: string; secretAccessKey: string },
  options: { template: string; finished: boolean; allowUnheld?: boolean },
): Promise<void> {
  const text = await world.readCredentials();
  const strip = (t: string) => t.replace(/^aws_(access_key_id|secret_access_key) = .*$/gm, '');
  if (strip(text) !== strip(options.template)) throw new Error(`credentials file is not complete:\n${text}`);
  const key = await fileKey(world);
  const { StsApi } = await import('../../src/aws/clients.js');
  const sts = new StsApi({ region: 'us-east-1', stsEndpoint: world.emulator.url, maxAttempts: 1 });
  try {
    const identity = await sts.getCallerIdentity(key);
    if (!identity.arn.endsWith(`user/${userName}`)) throw new Error(`file key belongs to ${identity.arn}`);
  } finally {
    sts.destroy();
  }
  const keys = world.emulator.admin.keys(userName);
  if (keys.length > 2) throw new Error(`${keys.length} keys`);
  for (const k of keys) {
    const held = k.accessKeyId === key.accessKeyId || k.accessKeyId === old.accessKeyId;
    if (!held && !options.allowUnheld) throw new Error(`orphan key ${k.accessKeyId}`);
  }
  if (options.finished) {
    if (key.accessKeyId === old.accessKeyId) throw new Error('the file still holds the old key');
    const oldNow = keys.find((k) => k.accessKeyId === old.accessKeyId);
    if (oldNow?.status === 'Active') throw new Error('the old key is still active');
  }
}
