// `keyrot rotate-now` through the built CLI: the bin runs it on a fast path of its own (src/cli.ts,
// without loading commander) and prints exactly what commander's path prints for the same world (text,
// --json, refusals, errors, exit codes) with each of its options and the global ones; what the fast path
// does not parse goes to commander, whose usage errors and help stay its own.
import { link, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, type SeededUser, startEmulator } from '../../src/emulator/index.js';
import { atFileEnd, tempDir } from '../support/cleanup.js';
import { COMMANDER_BUNDLE, runOnBothPaths } from '../support/fast-path.js';
import { describeWith } from '../support/real-part.js';
import { type ProbedRun, runCliProbed } from '../support/run-cli.js';
import { createWorld, profileBlock, type World } from '../support/world.js';

const ROTATE_NOW_BUNDLE = fileURLToPath(new URL('../../dist/bundle/rotate-now.cjs', import.meta.url));

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  atFileEnd(() => emulator.close());
});

/**
 * `rotate-now ...args` in `w` on the fast path and through commander (test/support/fast-path.ts), by
 * default with the endpoint the world already uses before the command; returns the fast path's run.
 */
async function sameOnBothPaths(
  w: World,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; before?: string[] } = {},
): Promise<ProbedRun> {
  const env = { ...w.env, ...options.env };
  const before = options.before ?? ['--endpoint-url', emulator.url];
  const { fast, commander } = await runOnBothPaths(env, 'rotate-now', args, before);
  // commander runs the command from the same bundle.
  for (const run of [fast, commander]) expect(run.loaded).toContain(ROTATE_NOW_BUNDLE);
  return fast;
}

/** A world whose profile p holds a 10-day-old key of a user with a second active key. */
async function twoKeyWorld(label: string): Promise<{ w: World; keys: SeededUser['keys'] }> {
  const w = await createWorld({ label, emulator });
  const user = await w.seed(`${label}-user`, { keyAgeDays: 10, secondKey: 'active' });
  await w.writeCredentials(profileBlock('p', user.keys[0]!));
  return { w, keys: user.keys };
}

const masked = (keyId: string) => `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;

const suite = describeWith('secretService');

suite('rotate-now on the fast path', { concurrent: true }, () => {
  it('takes --dry-run, --profile (repeated), --force, --delete-other and --json as commander does', async () => {
    const { w, keys } = await twoKeyWorld('rotate-fast-flags');
    const notDue = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p']);
    expect(notDue.code, notDue.stderr).toBe(0);
    expect(notDue.stderr).toContain('keyrot: dry run for profile p');
    expect(notDue.stderr).toContain('nothing to rotate');
    // --force: not due, but the user's second active key leaves no room.
    const noRoom = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p', '--force']);
    expect(noRoom.code).toBe(3);
    expect(noRoom.stderr).toContain('--delete-other');
    const room = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p', '--force', '--delete-other']);
    expect(room.code, room.stderr).toBe(0);
    expect(room.stderr).not.toContain('nothing to rotate');
    const json = await sameOnBothPaths(w, [
      '--profile',
      'p',
      '--json',
      '--dry-run',
      '--profile',
      'nobody',
      '--force',
      '--delete-other',
    ]);
    const doc = JSON.parse(json.stdout) as { profiles: { profile: string; outcome?: string }[] };
    expect(doc.profiles.map((p) => [p.profile, p.outcome])).toEqual([
      ['nobody', 'failed'],
      ['p', 'dry-run'],
    ]);
    // Nothing changed: the dry runs left the key in place.
    expect(await w.readCredentials()).toContain(keys[0]!.accessKeyId);
  });

  it('takes --all, --config, --credentials-file and --aws-config-file as commander does', async () => {
    const { w, keys } = await twoKeyWorld('rotate-fast-files');
    await w.writeKeyrotConfig('[profile p]\n[profile q]\n');
    const all = await sameOnBothPaths(w, ['--all', '--dry-run', '--json']);
    const profiles = (JSON.parse(all.stdout) as { profiles: { profile: string }[] }).profiles;
    expect(profiles.map((p) => p.profile).sort()).toEqual(['p', 'q']);

    const elsewhere = await tempDir('rotate-fast-elsewhere');
    const settings = path.join(elsewhere, 'keyrot.ini');
    await writeFile(settings, 'max_age_days = 5\nwarn_days = 1\nother_active_key = delete\n', {
      mode: 0o600,
    });
    // A 10-day-old key is due under a 5-day limit.
    const due = await sameOnBothPaths(w, ['--profile', 'p', '--dry-run', '--config', settings]);
    expect(due.code, due.stderr).toBe(0);
    expect(due.stderr).not.toContain('nothing to rotate');

    const credentials = path.join(elsewhere, 'credentials');
    await writeFile(credentials, profileBlock('p', keys[1]!), { mode: 0o600 });
    const other = await sameOnBothPaths(w, ['--dry-run', '--json', '--credentials-file', credentials]);
    expect(other.stdout).not.toContain(masked(keys[1]!.accessKeyId));
    const named = await sameOnBothPaths(w, [
      '--dry-run',
      '--json',
      '--profile',
      'p',
      '--credentials-file',
      credentials,
    ]);
    expect(named.stdout).toContain(masked(keys[1]!.accessKeyId));

    const config = path.join(elsewhere, 'aws-config');
    await writeFile(config, '[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = p\n');
    const role = await sameOnBothPaths(w, ['--dry-run', '--profile', 'r', '--aws-config-file', config]);
    const missing = await sameOnBothPaths(w, ['--dry-run', '--profile', 'r']);
    expect(role.code).toBe(3);
    expect(role.stderr).not.toBe(missing.stderr);
  });

  it('takes --endpoint-url, --region and --verbose as commander does', async () => {
    const { w } = await twoKeyWorld('rotate-fast-globals');
    const closed = ['--endpoint-url', 'http://127.0.0.1:9'];
    const unreachable = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p', ...closed], {
      env: { KEYROT_AWS_MAX_ATTEMPTS: '1' },
      before: closed,
    });
    expect(unreachable.code).not.toBe(0);
    const region = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p', '--region', 'eu-west-1']);
    expect(region.code, region.stderr).toBe(0);
    // --verbose: the error in full.
    const verbose = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p', '--verbose', ...closed], {
      env: { KEYROT_AWS_MAX_ATTEMPTS: '1' },
      before: closed,
    });
    expect(verbose.stderr.length).toBeGreaterThan(unreachable.stderr.length);
  });

  it('fails as commander does: invalid settings, a hard-linked file without --allow-hardlink', async () => {
    const { w } = await twoKeyWorld('rotate-fast-fail');
    await w.writeKeyrotConfig('notify = maybe\n');
    const settings = await sameOnBothPaths(w, ['--profile', 'p']);
    expect(settings.code).toBe(2);
    expect(settings.stderr).toContain(w.keyrotConfigFile);
    await w.writeKeyrotConfig('');
    await link(w.credentialsFile, path.join(w.home, 'credentials-second-name'));
    const linked = await sameOnBothPaths(w, ['--dry-run', '--profile', 'p', '--force', '--delete-other']);
    expect(linked.code).toBe(3);
    expect(linked.stderr).toContain('--allow-hardlink');
    const allowed = await sameOnBothPaths(w, [
      '--dry-run',
      '--profile',
      'p',
      '--force',
      '--delete-other',
      '--allow-hardlink',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it('rotates: the key in the file is replaced', async () => {
    const { w, keys } = await twoKeyWorld('rotate-fast-real');
    const result = await runCliProbed(
      ['rotate-now', '--profile', 'p', '--force', '--delete-other', '--json'],
      w.env,
    );
    expect(result.loaded).not.toContain(COMMANDER_BUNDLE);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).profiles[0]).toMatchObject({ profile: 'p', outcome: 'rotated' });
    expect(await w.readCredentials()).not.toContain(keys[0]!.accessKeyId);
  });

  it('leaves what it does not parse to commander, with its usage errors and help', async () => {
    const { w } = await twoKeyWorld('rotate-fast-commander');
    const usage = '(run `keyrot --help` for usage)\n';
    const cases: [string[], string][] = [
      [['--bogus'], `error: unknown option '--bogus'\n${usage}`],
      [['--dry-run', '--profile'], `error: option '--profile <name>' argument missing\n${usage}`],
      [
        ['--dry-run', 'extra'],
        `error: too many arguments for 'rotate-now'. Expected 0 arguments but got 1.\n${usage}`,
      ],
      [['--dry-run', '--json=yes'], `error: unknown option '--json=yes'\n${usage}`],
      // commander takes the word after --profile as its value, whatever it looks like.
      [['--dry-run', '--profile', '--json'], 'keyrot: profile "--json" is in neither AWS file'],
    ];
    for (const [args, stderr] of cases) {
      const result = await runCliProbed(['rotate-now', ...args], w.env);
      expect(result.loaded, args.join(' ')).toContain(COMMANDER_BUNDLE);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr.startsWith(stderr), result.stderr).toBe(true);
      expect(result.stdout).toBe('');
    }
    // Its help is commander's, as the build recorded it (src/recorded-help.ts): no command runs.
    const help = await runCliProbed(['rotate-now', '--help'], w.env);
    expect(help.loaded).not.toContain(ROTATE_NOW_BUNDLE);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: keyrot rotate-now [options]');
    expect(help.stdout).toContain('--allow-hardlink');
    const equals = await runCliProbed(['rotate-now', '--dry-run', '--json', '--profile=p'], w.env);
    expect(equals.code, equals.stderr).toBe(0);
    expect(JSON.parse(equals.stdout).profiles).toHaveLength(1);
  });
});
