// What the end-to-end rotation suites share beside their worlds (test/support/world.ts): one emulator per
// suite (suiteWorlds), the AWS CLI as an independent reader, the rotation invariants, and that no secret
// was left in output, logs or state.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';
import { StsApi } from '../../src/aws/clients.js';
import {
  type RunningEmulator,
  type SeededUser,
  type SeedUserInput,
  startEmulator,
} from '../../src/emulator/index.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { keychainIdentity } from '../../src/keychain/service-name.js';
import { journalKnownEmpty } from '../../src/state/journal-empty.js';
import { stopAtFileEnd } from '../support/cleanup.js';
import { createWorld, profileBlock, type World } from '../support/world.js';

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
 * secrets sweep runs and the emulator closes (the worlds are removed when the file ends).
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
    }
  });
  const world = async () => {
    const w = await createWorld({ label: 'e2e', emulator });
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
      await w.writeCredentials(profileBlock('p', key));
      return { w, key, seeded };
    },
  };
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
  const key = await world.currentKey('p');
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
  await expectEmptyRecordTruthful(world);
  if (options.finished) {
    if (key.accessKeyId === old.accessKeyId) throw new Error('the file still holds the old key');
    const oldNow = keys.find((k) => k.accessKeyId === old.accessKeyId);
    if (oldNow?.status === 'Active') throw new Error('the old key is still active');
  }
}

/**
 * The record of an empty journal (src/state/journal-empty.ts) never says "empty" while the world's
 * journal holds an entry: `keyrot status` would then not list that rotation.
 */
export async function expectEmptyRecordTruthful(world: World): Promise<void> {
  if (
    !(await journalKnownEmpty(
      world.stateDir,
      keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: world.keychainService }),
    ))
  )
    return;
  const keychain = await openKeychain({ env: world.env, stateDir: world.stateDir });
  try {
    const { entries, damaged } = await new RotationJournal(keychain.values, { emptyRecord: null }).survey();
    if (entries.length + damaged.length > 0) {
      throw new Error(
        `the record says the journal is empty, but it holds ${entries.length + damaged.length} entries`,
      );
    }
  } finally {
    await keychain.close?.();
  }
}

/** How a tool run ended. */
export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (from the repository, so `@aws-sdk/*` resolves), stopped if the file ends first. */
export function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ToolRun> {
  return new Promise((resolve) => {
    const cwd = new URL('../..', import.meta.url).pathname;
    const child = stopAtFileEnd(spawn(command, args, { env, cwd, timeout: 60_000 }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The environment the AWS tools run in for a profile: the world's own (its keychain service and bus, which
 * `keyrot credentials` needs when a credential_process runs it), its AWS files, the profile.
 */
export function toolEnv(w: World, profile: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...w.env,
    AWS_SHARED_CREDENTIALS_FILE: w.credentialsFile,
    AWS_CONFIG_FILE: w.configFile,
    AWS_PROFILE: profile,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** `aws sts get-caller-identity` with Debian's AWS CLI v2, the credentials from the profile alone. */
export function awsIdentity(w: World, profile: string, extra?: NodeJS.ProcessEnv): Promise<ToolRun> {
  return runTool(
    '/usr/bin/aws',
    ['sts', 'get-caller-identity', '--endpoint-url', w.emulator.url, '--output', 'json'],
    toolEnv(w, profile, extra),
  );
}
