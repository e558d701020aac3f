// `keyrot demo`: a real rotation, end to end, against the built-in emulator in a throwaway HOME — the
// person's own files, keys and keychain entries are never touched.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preloadAwsSdk } from '../aws/clients.js';
import { loadSettings } from '../config/load-settings.js';
import { seedUser, startEmulator } from '../emulator/index.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import { maskKeyId } from '../errors/redact.js';
import { maskSharedFile } from '../keychain/mask-shared-file.js';
import { MemorySecretStore } from '../keychain/memory-store.js';
import { type Keychain, openKeychain } from '../keychain/open-keychain.js';
import { nullLogger } from '../log/index.js';
import { rotateProfile } from '../rotation/rotate-profile.js';
import type { CommandContext } from './context.js';
import { createRotationDeps } from './rotation-deps.js';

/** Options of `keyrot demo`. */
export type DemoInput = Record<string, unknown>;

/** `keyrot demo`: rotates a 120-day-old key in a throwaway HOME and shows every step and the result. */
export async function demoCommand(_input: DemoInput, ctx: CommandContext): Promise<ExitCodeValue> {
  void preloadAwsSdk().catch(() => undefined);
  const out = ctx.io.stdout;
  const say = (line = '') => out.write(`${line}\n`);
  const home = await mkdtemp(join(tmpdir(), 'keyrot-demo-'));
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  const service = `keyrot-demo-${randomBytes(4).toString('hex')}`;
  let keychain: Keychain | undefined;
  try {
    say('keyrot demo: a real rotation against a local IAM/STS emulator, in a throwaway HOME');
    say(`  emulator   ${emulator.url}`);
    say(`  HOME       ${home}`);
    const demoUser = await seedUser(emulator, { user: 'demo-user', keyAgeDays: 120 });
    const otherUser = await seedUser(emulator, { user: 'ci-bot', keyAgeDays: 10 });
    const demoKey = demoUser.keys[0]!;
    const otherKey = otherUser.keys[0]!;
    const awsDir = join(home, '.aws');
    await mkdir(awsDir, { recursive: true, mode: 0o700 });
    const credentialsFile = join(awsDir, 'credentials');
    const before = [
      '# AWS credentials, edited by hand; keyrot keeps every other byte as it is.',
      '[default]',
      `aws_access_key_id = ${otherKey.accessKeyId}`,
      `aws_secret_access_key = ${otherKey.secretAccessKey}`,
      '',
      '; the demo profile: its key is 120 days old, so it is due',
      '[demo]',
      `aws_access_key_id=${demoKey.accessKeyId}`,
      `aws_secret_access_key=${demoKey.secretAccessKey}`,
      'region = eu-west-1   # an inline comment',
      '',
      '[build]',
      `aws_access_key_id = ${otherKey.accessKeyId}`,
      `aws_secret_access_key = ${otherKey.secretAccessKey}`,
      '',
    ].join('\n');
    await writeFile(credentialsFile, before, { mode: 0o600 });
    await writeFile(join(awsDir, 'config'), '[default]\nregion = us-east-1\n', { mode: 0o600 });

    const env: NodeJS.ProcessEnv = {
      ...ctx.io.env,
      HOME: home,
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_CONFIG_FILE: join(awsDir, 'config'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_STATE_HOME: join(home, '.local', 'state'),
      KEYROT_STATE_DIR: join(home, '.local', 'state', 'keyrot'),
      KEYROT_CONFIG: '',
      KEYROT_KEYCHAIN_SERVICE: service,
    };
    for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
      delete env[name];
    const demoCtx: CommandContext = {
      globals: { verbose: ctx.globals.verbose, endpointUrl: emulator.url, region: 'us-east-1' },
      io: { ...ctx.io, env, isTTY: false },
    };
    try {
      keychain = await openKeychain({ env, stateDir: env.KEYROT_STATE_DIR!, backend: 'os' });
      say(`  keychain   ${keychain.location} (entries removed at the end)`);
    } catch {
      keychain = await openKeychain({ env, stateDir: env.KEYROT_STATE_DIR!, store: new MemorySecretStore() });
      keychain = { ...keychain, location: 'an in-memory store' };
      say('  keychain   no OS keychain is reachable here: the demo keeps its backup and journal in memory.');
      say(
        '             (`keyrot rotate-now` itself never falls back: it needs the OS keychain or `keychain = file`.)',
      );
    }
    say();
    say('[demo] before, masked:');
    out.write(indent(maskSharedFile(before)));
    say();
    say('rotating profile demo:');
    const settings = await loadSettings({ env });
    const deps = await createRotationDeps(demoCtx, settings, {
      keychain,
      logger: nullLogger,
      progress: { step: (name, detail) => say(`  ${name.padEnd(10)} ${detail}`) },
    });
    let backupId: string | undefined;
    try {
      const result = await rotateProfile(
        { profile: 'demo', force: false, deleteOther: false, dryRun: false },
        deps,
      );
      backupId = result.backupId;
      say(`  done in ${result.durationMs} ms`);
    } finally {
      await deps.close();
    }
    const after = await readFile(credentialsFile, 'utf8');
    say();
    say('the file, masked (- before, + after; every other line is byte-identical):');
    out.write(indent(lineDiff(maskSharedFile(before), maskSharedFile(after))));
    const same = countSame(before, after);
    say(`  ${same.same} of ${same.total} lines unchanged; only [demo]'s two values differ.`);
    say();
    say(`backup of the previous file in the keychain: ${backupId ?? '(none)'}`);
    say('keys of demo-user in IAM afterwards:');
    for (const key of emulator.admin.keys('demo-user')) {
      const role =
        key.accessKeyId === demoKey.accessKeyId
          ? 'the old key (rollback path until the next rotation)'
          : 'the new key, now in [demo]';
      say(
        `  ${maskKeyId(key.accessKeyId)}  ${key.status.padEnd(8)} created ${key.createDate.slice(0, 10)}  ${role}`,
      );
    }
    say();
    say('Next: `keyrot status` for your own profiles, `keyrot rotate-now --dry-run` to see a plan.');
    return ExitCode.ok;
  } finally {
    if (keychain) {
      for (const name of await keychain.values.list().catch(() => [] as string[])) {
        await keychain.values.delete(name).catch(() => false);
      }
      await keychain.close?.();
    }
    await emulator.close();
    await rm(home, { recursive: true, force: true });
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n')
    .replace(/\n*$/, '\n');
}

/** A line-by-line diff of two texts with the same line count (only values change). */
function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const lines: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if (a[i] === b[i]) lines.push(a[i] ? `  ${a[i]}` : '');
    else {
      if (a[i] !== undefined) lines.push(`- ${a[i]}`);
      if (b[i] !== undefined) lines.push(`+ ${b[i]}`);
    }
  }
  return lines.join('\n');
}

function countSame(before: string, after: string): { same: number; total: number } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { same: a.filter((line, i) => line === b[i]).length, total: a.length };
}
