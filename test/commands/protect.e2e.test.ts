// `keyrot protect`, `unprotect` and `credentials` end to end: the built CLI, the emulator over HTTP, the
// real Secret Service, and the two real readers of a protected profile — Debian's AWS CLI and the JS
// SDK's default provider chain — each running `keyrot credentials` through credential_process.
import { spawn } from 'node:child_process';
import { link, lstat, mkdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, onTestFinished } from 'vitest';
import { acquireLock, namedLockPath } from '../../src/lock/index.js';
import { readStateFile } from '../../src/state/state-file.js';
import { profileLine } from '../../src/tray/profile-line.js';
import { type PrivateSecretService, startPrivateSecretService } from '../keychain/private-secret-service.js';
import { describeWith, realPartsAvailable } from '../support/real-part.js';
import { CLI_PATH, type CliResult, runCli } from '../support/run-cli.js';
import { profileBlock, valueIn, type World } from '../support/world.js';
import { awsIdentity, runTool, suiteWorlds, toolEnv } from './harness.js';

const suite = describeWith('secretService', 'awsCli');
const repo = fileURLToPath(new URL('../..', import.meta.url));

// The SDK's default chain, exactly as an application gets it: no credentials passed to the client.
const SDK_SCRIPT = `
const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
const client = new STSClient({ endpoint: process.env.KEYROT_TEST_ENDPOINT, region: 'us-east-1' });
const who = await client.send(new GetCallerIdentityCommand({}));
const creds = await client.config.credentials();
console.log(JSON.stringify({ arn: who.Arn, keyId: creds.accessKeyId }));
`;

async function sdkIdentity(w: World, profile: string): Promise<{ arn: string; keyId: string }> {
  const env = toolEnv(w, profile, { KEYROT_TEST_ENDPOINT: w.emulator.url });
  delete env.AWS_ENDPOINT_URL;
  const run = await runTool(process.execPath, ['--input-type=module', '-e', SDK_SCRIPT], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { arn: string; keyId: string };
}

/**
 * `keyrot credentials` run as the AWS tools run it. Not through w.run: its stdout holds the secret (its
 * one job), and the world's captures are swept for secrets.
 */
function printCredentials(w: World, profile: string): Promise<CliResult> {
  return runCli(['credentials', '--profile', profile], { env: { ...w.env, AWS_CONFIG_FILE: w.configFile } });
}

/** The key id the protected profile serves now. */
async function cliKeyId(w: World, profile: string): Promise<string> {
  const run = await printCredentials(w, profile);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { AccessKeyId: string }).AccessKeyId;
}

/** A `keyrot protect` started while the test holds the key's lock as a rotation would, once it says it waits. */
async function protectWaitingForLock(w: World, keyId: string, profile: string) {
  const lockDir = join(w.stateDir, 'locks');
  await mkdir(lockDir, { recursive: true, mode: 0o700 });
  const release = await acquireLock(namedLockPath(lockDir, 'key', keyId), { purpose: 'test rotation' });
  const child = spawn(process.execPath, [CLI_PATH, 'protect', '--profile', profile], { env: w.env });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('close', done));
  const waiting = new Promise<void>((seen) =>
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
      if (output.stderr.includes('waiting for test rotation')) seen();
    }),
  );
  const first = await Promise.race([waiting.then(() => 'waiting' as const), exited]);
  // Should it ever exit first, say how (its exit code and stdout: masked key ids only).
  expect(output.stderr, `protect ended (exit ${first}) before waiting: ${output.stdout}`).toContain(
    'waiting for test rotation',
  );
  return { release, exited, output };
}

suite('keyrot protect end to end', { concurrent: true }, () => {
  const { world, secrets } = suiteWorlds();

  it('protects, rotates in the keychain and unprotects; the AWS CLI and the SDK work throughout, the files never hold the secret', async () => {
    const w = await world();
    const user = await w.seed('protected');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const other =
      '# other keys\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = other-secret\n';
    const original = `# my keys\n${profileBlock('p', key, 'region = us-east-1\n')}\n${profileBlock('twin', key)}\n${other}`;
    await w.writeCredentials(original);
    const config = '# config\n[profile p]\noutput = json\n\n[profile unrelated]\nregion = eu-west-1\n';
    await w.writeConfig(config);

    const protect = await w.run(['protect', '--profile', 'p']);
    expect(protect.code, protect.stderr).toBe(0);
    expect(protect.stdout).toContain('p, twin');
    const credentials = await w.readCredentials();
    // Only the two key lines of each profile left: every other byte stays.
    expect(credentials).toBe(`# my keys\n[p]\nregion = us-east-1\n\n[twin]\n\n${other}`);
    expect(credentials).not.toContain(key.secretAccessKey);
    expect(credentials).not.toContain(key.accessKeyId);
    const configAfter = await readFile(w.configFile, 'utf8');
    expect(configAfter.startsWith('# config\n[profile p]\noutput = json\n')).toBe(true);
    expect(configAfter).toContain('\n[profile unrelated]\nregion = eu-west-1\n');
    expect(configAfter).toContain(`"${process.execPath}" "${repo}dist/cli.cjs" credentials --profile p`);
    expect(configAfter).toContain('credentials --profile twin');
    expect(configAfter).not.toContain(key.secretAccessKey);

    // Both readers now get the key from the keychain through keyrot.
    for (const profile of ['p', 'twin']) {
      const cli = await awsIdentity(w, profile);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).Arn).toBe(user.arn);
      expect(await sdkIdentity(w, profile)).toEqual({ arn: user.arn, keyId: key.accessKeyId });
    }
    const status = await w.run(['status', '--profile', 'p', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).profiles[0]).toMatchObject({ profile: 'p', kind: 'protected' });

    // A rotation writes the new key into the keychain entries, not the file.
    const rotate = await w.run(['rotate-now', '--profile', 'p', '--force', '--json']);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(JSON.parse(rotate.stdout).profiles[0]).toMatchObject({
      outcome: 'rotated',
      oldKeyAction: 'deactivated',
    });
    const newId = await cliKeyId(w, 'p');
    expect(newId).not.toBe(key.accessKeyId);
    expect(await cliKeyId(w, 'twin')).toBe(newId);
    expect(await w.readCredentials()).toBe(credentials);
    for (const profile of ['p', 'twin']) {
      const cli = await awsIdentity(w, profile);
      // The old key is inactive now: a success is the new key's.
      expect(cli.code, cli.stderr).toBe(0);
      expect(await sdkIdentity(w, profile)).toEqual({ arn: user.arn, keyId: newId });
    }
    const keys = w.emulator.admin.keys(user.user);
    expect(keys.find((k) => k.accessKeyId === key.accessKeyId)?.status).toBe('Inactive');

    // Unprotect: the new key is back in the credentials file and the readers use it from there.
    const unprotect = await w.run(['unprotect', '--profile', 'twin']);
    expect(unprotect.code, unprotect.stderr).toBe(0);
    const back = await w.readCredentials();
    const newSecret = valueIn(back, 'p', 'aws_secret_access_key')!;
    secrets.push(newSecret);
    expect(valueIn(back, 'p', 'aws_access_key_id')).toBe(newId);
    expect(valueIn(back, 'twin', 'aws_access_key_id')).toBe(newId);
    expect(back).toContain(other);
    expect(await readFile(w.configFile, 'utf8')).not.toContain('credential_process');
    expect((await w.run(['credentials', '--profile', 'p'])).code).toBe(2);
    const cli = await awsIdentity(w, 'p');
    expect(cli.code, cli.stderr).toBe(0);
    expect(await sdkIdentity(w, 'p')).toEqual({ arn: user.arn, keyId: newId });
  });

  it('the order protect relies on: key lines in the credentials file win over credential_process in the AWS CLI and the SDK', async () => {
    const w = await world();
    const user = await w.seed('precedence');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    await w.writeCredentials(profileBlock('p', key));
    // A credential_process that can only fail: were it run, both readers would fail.
    await w.writeConfig('[profile p]\ncredential_process = /bin/false\n');
    const cli = await awsIdentity(w, 'p');
    expect(cli.code, cli.stderr).toBe(0);
    expect(await sdkIdentity(w, 'p')).toEqual({ arn: user.arn, keyId: key.accessKeyId });
    // And without the key lines, the same profile does go through credential_process (and fails here).
    await w.writeCredentials('[p]\n');
    expect((await awsIdentity(w, 'p')).code).not.toBe(0);
  });

  it('the daemon rotates a watched protected profile that is due into the keychain, and records it', async () => {
    const w = await world();
    const user = await w.seed('daemon-protected', { keyAgeDays: 100 });
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    await w.writeCredentials(profileBlock('p', key));
    const protect = await w.run(['protect', '--profile', 'p']);
    expect(protect.code, protect.stderr).toBe(0);
    // setup accepts a protected profile as one to watch.
    const setup = await w.run(['setup', '--profile', 'p', '--max-age-days', '90', '--yes']);
    expect(setup.code, setup.stderr).toBe(0);
    expect(await readFile(w.keyrotConfigFile, 'utf8')).toContain('[profile p]');
    const protectedText = await w.readCredentials();
    const daemon = await w.run(['daemon', '--once']);
    expect(daemon.code, daemon.stderr).toBe(0);
    const newId = await cliKeyId(w, 'p');
    expect(newId).not.toBe(key.accessKeyId);
    expect(await w.readCredentials()).toBe(protectedText);
    expect(w.emulator.admin.keys(user.user).find((k) => k.accessKeyId === key.accessKeyId)?.status).toBe(
      'Inactive',
    );
    const state = JSON.parse(await readFile(join(w.stateDir, 'state.json'), 'utf8'));
    expect(state.profiles.p.lastResult.outcome).toBe('rotated');
    // The daemon recorded it as protected, and the tray's line says so.
    expect(state.profiles.p.protected).toBe(true);
    const recorded = (await readStateFile(w.stateDir))?.profiles.p;
    const line = profileLine('p', recorded, { now: new Date(), measuredAt: new Date(), warnDays: 14 });
    expect(line.text).toMatch(/^p — protected, 0 days, due in (89|90) days$/);
    const cli = await awsIdentity(w, 'p');
    expect(cli.code, cli.stderr).toBe(0);
  });

  it('unprotect takes out exactly the [profile P] headers protect appended: the config file gets its bytes back', async () => {
    const w = await world();
    const user = await w.seed('added-header');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const credentials = `${profileBlock('p', key)}\n${profileBlock('twin', key)}`;
    await w.writeCredentials(credentials);
    // No section for p or twin, and no newline at the end: protect appends both after a lead.
    const config = '# config\n[profile unrelated]\nregion = eu-west-1';
    await w.writeConfig(config);
    const protect = await w.run(['protect', '--profile', 'p']);
    expect(protect.code, protect.stderr).toBe(0);
    const protectedConfig = await readFile(w.configFile, 'utf8');
    expect(protectedConfig).toContain('\n\n[profile p]\ncredential_process = ');
    expect(protectedConfig).toContain('\n[profile twin]\ncredential_process = ');
    expect(await sdkIdentity(w, 'twin')).toEqual({ arn: user.arn, keyId: key.accessKeyId });

    const unprotect = await w.run(['unprotect', '--profile', 'p']);
    expect(unprotect.code, unprotect.stderr).toBe(0);
    expect(await readFile(w.configFile, 'utf8')).toBe(config);
    expect(valueIn(await w.readCredentials(), 'twin', 'aws_access_key_id')).toBe(key.accessKeyId);
    const cli = await awsIdentity(w, 'twin');
    expect(cli.code, cli.stderr).toBe(0);

    // A header that holds something else by then (a line of yours) stays, with that line.
    await w.writeConfig('[profile unrelated]\nregion = eu-west-1\n');
    expect((await w.run(['protect', '--profile', 'p'])).code).toBe(0);
    const withLine = (await readFile(w.configFile, 'utf8')).replace(
      /(\[profile p\]\n)/,
      '$1region = us-east-1\n',
    );
    await w.writeConfig(withLine);
    expect((await w.run(['unprotect', '--profile', 'p'])).code).toBe(0);
    expect(await readFile(w.configFile, 'utf8')).toMatch(/\n\[profile p\]\nregion = us-east-1\n/);
  });

  it('a config file protect created is removed by unprotect, unless something of yours is in it by then', async () => {
    const w = await world();
    const user = await w.seed('created-config');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const credentials = `# mine\n${profileBlock('p', key)}`;
    await w.writeCredentials(credentials);
    await expect(lstat(w.configFile)).rejects.toThrow(/ENOENT/);
    expect((await w.run(['protect', '--profile', 'p'])).code).toBe(0);
    expect(await readFile(w.configFile, 'utf8')).toMatch(/^\[profile p\]\ncredential_process = .+\n$/);
    const unprotect = await w.run(['unprotect', '--profile', 'p']);
    expect(unprotect.code, unprotect.stderr).toBe(0);
    await expect(lstat(w.configFile)).rejects.toThrow(/ENOENT/);
    expect(await w.readCredentials()).toBe(credentials);
    const cli = await awsIdentity(w, 'p');
    expect(cli.code, cli.stderr).toBe(0);

    // Created by protect, then given a section of yours: the file stays, with exactly your section.
    expect((await w.run(['protect', '--profile', 'p'])).code).toBe(0);
    await w.writeConfig(`${await readFile(w.configFile, 'utf8')}\n[profile yours]\nregion = eu-west-1\n`);
    expect((await w.run(['unprotect', '--profile', 'p'])).code).toBe(0);
    expect(await readFile(w.configFile, 'utf8')).toBe('\n[profile yours]\nregion = eu-west-1\n');
    expect(await w.readCredentials()).toBe(credentials);
  });

  it('two protects at once: of one profile, of two profiles holding one key, of two keys; each ends protected once', async () => {
    const w = await world();
    const one = await w.seed('concurrent-one');
    const two = await w.seed('concurrent-two');
    const [a, b] = [one.keys[0]!, two.keys[0]!];
    secrets.push(a.secretAccessKey, b.secretAccessKey);
    const credentials = `${profileBlock('p', a)}\n${profileBlock('twin', a)}\n${profileBlock('q', b)}`;
    await w.writeCredentials(credentials);
    await w.writeConfig('# config\n[profile q]\noutput = json\n');
    const runs = await Promise.all([
      w.run(['protect', '--profile', 'p']),
      w.run(['protect', '--profile', 'p']),
      w.run(['protect', '--profile', 'twin']),
      w.run(['protect', '--profile', 'q']),
    ]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    // One key, one protection: exactly one run did p and twin, the others found them protected.
    const did = runs.slice(0, 3).filter((run) => run.stdout.startsWith('protected profile'));
    expect(did).toHaveLength(1);
    expect(did[0]!.stdout).toMatch(/protected profile (p, twin|twin, p):/);
    const after = await w.readCredentials();
    expect(after).not.toContain(a.secretAccessKey);
    expect(after).not.toContain(b.secretAccessKey);
    const config = await readFile(w.configFile, 'utf8');
    // Every edit of the config file landed, none twice: the file lock serialises the two keys' runs.
    for (const profile of ['p', 'twin', 'q'])
      expect(config.split(`credentials --profile ${profile}\n`)).toHaveLength(2);
    expect(config.startsWith('# config\n[profile q]\noutput = json\ncredential_process = ')).toBe(true);
    expect(await cliKeyId(w, 'twin')).toBe(a.accessKeyId);
    expect(await cliKeyId(w, 'q')).toBe(b.accessKeyId);
    for (const [profile, user] of [
      ['p', one],
      ['q', two],
    ] as const) {
      const cli = await awsIdentity(w, profile);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).Arn).toBe(user.arn);
    }
    // And back: two unprotects at once restore both keys, every other byte as it was.
    const back = await Promise.all([
      w.run(['unprotect', '--profile', 'twin']),
      w.run(['unprotect', '--profile', 'q']),
    ]);
    for (const run of back) expect(run.code, run.stderr).toBe(0);
    expect(await w.readCredentials()).toBe(credentials);
    expect(await readFile(w.configFile, 'utf8')).toBe('# config\n[profile q]\noutput = json\n');
  });

  it('a key that lived in the config file goes back there; the credentials file is never written', async () => {
    const w = await world();
    const user = await w.seed('key-in-config');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const config = `# config\n[profile c]\nregion = us-east-1\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n\n[profile other]\noutput = json\n`;
    await w.writeConfig(config);
    const protect = await w.run(['protect', '--profile', 'c']);
    expect(protect.code, protect.stderr).toBe(0);
    const protectedConfig = await readFile(w.configFile, 'utf8');
    expect(protectedConfig).not.toContain(key.secretAccessKey);
    expect(protectedConfig).not.toContain(key.accessKeyId);
    expect(protectedConfig).toMatch(
      /^# config\n\[profile c\]\nregion = us-east-1\ncredential_process = .+\n\n\[profile other\]\noutput = json\n$/,
    );
    const cli = await awsIdentity(w, 'c');
    expect(cli.code, cli.stderr).toBe(0);
    expect(await sdkIdentity(w, 'c')).toEqual({ arn: user.arn, keyId: key.accessKeyId });

    const unprotect = await w.run(['unprotect', '--profile', 'c']);
    expect(unprotect.code, unprotect.stderr).toBe(0);
    expect(unprotect.stdout).toContain(`is back in ${w.configFile}`);
    expect(await readFile(w.configFile, 'utf8')).toBe(config);
    await expect(readFile(w.credentialsFile, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await sdkIdentity(w, 'c')).toEqual({ arn: user.arn, keyId: key.accessKeyId });
  });

  it('a profile name that needs quoting in the credential_process line works in the AWS CLI and the SDK', async () => {
    // The SDK reads config sections named with [\\w-@+.%:/] only (no space); of those `%` is the one keyrot quotes.
    const w = await world();
    const user = await w.seed('quoted-name');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const spaced = '[my team]\naws_access_key_id = AKIASPACEDSPACEDSPA1\naws_secret_access_key = s\n';
    await w.writeCredentials(`${profileBlock('dev%eu', key)}\n${spaced}`);
    const protect = await w.run(['protect', '--profile', 'dev%eu']);
    expect(protect.code, protect.stderr).toBe(0);
    expect(await readFile(w.configFile, 'utf8')).toContain(' credentials --profile "dev%eu"\n');
    const cli = await awsIdentity(w, 'dev%eu');
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).Arn).toBe(user.arn);
    expect(await sdkIdentity(w, 'dev%eu')).toEqual({ arn: user.arn, keyId: key.accessKeyId });
    expect(await w.readCredentials()).toBe(`[dev%eu]\n\n${spaced}`);

    // A space: the SDK reads `[my team]` as the section "team" of a prefix "my", not a profile, nor does keyrot.
    const config = await readFile(w.configFile, 'utf8');
    const refused = await w.run(['protect', '--profile', 'my team']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('profile "my team" is in neither AWS file');
    expect(await readFile(w.configFile, 'utf8')).toBe(config);
    expect(await w.readCredentials()).toBe(`[dev%eu]\n\n${spaced}`);
  });

  it('refuses a hard-linked credentials file (its other name would keep the secret) and follows a symlink', async () => {
    const w = await world();
    const user = await w.seed('linked');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const text = profileBlock('p', key);
    await w.writeCredentials(text);
    const other = join(w.credentialsFile, '..', 'credentials-other-name');
    await link(w.credentialsFile, other);
    const refused = await w.run(['protect', '--profile', 'p']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('hard links');
    expect(await w.readCredentials()).toBe(text);
    await expect(readFile(w.configFile, 'utf8')).rejects.toThrow(/ENOENT/);

    // A symlink stays one: its target loses the key lines.
    await rm(other);
    const target = join(w.credentialsFile, '..', 'credentials-target');
    await rename(w.credentialsFile, target);
    await symlink(target, w.credentialsFile);
    const protect = await w.run(['protect', '--profile', 'p']);
    expect(protect.code, protect.stderr).toBe(0);
    expect((await lstat(w.credentialsFile)).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('[p]\n');
    expect(await sdkIdentity(w, 'p')).toEqual({ arn: user.arn, keyId: key.accessKeyId });
  });

  it('a protect that waited for a rotation of its key changes nothing and says to run it again', async () => {
    const w = await world();
    const user = await w.seed('raced', { secondKey: 'active' });
    const [first, second] = [user.keys[0]!, user.keys[1]!];
    secrets.push(first.secretAccessKey, second.secretAccessKey);
    await w.writeCredentials(profileBlock('p', first));
    const { release, exited, output } = await protectWaitingForLock(w, first.accessKeyId, 'p');
    // The "rotation" writes the new key, then lets go of the lock.
    await w.writeCredentials(profileBlock('p', second));
    await release();
    expect(await exited, output.stderr).toBe(1);
    expect(output.stderr).toContain('got a new key while keyrot waited to protect it');
    expect(await w.readCredentials()).toBe(profileBlock('p', second));
    await expect(readFile(w.configFile, 'utf8')).rejects.toThrow(/ENOENT/);
    const again = await w.run(['protect', '--profile', 'p']);
    expect(again.code, again.stderr).toBe(0);
    expect(await cliKeyId(w, 'p')).toBe(second.accessKeyId);
  });

  it('refuses what it cannot protect and says when there is nothing to do', async () => {
    const w = await world();
    await w.writeCredentials(
      '[session]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\naws_session_token = t\n',
    );
    await w.writeConfig(
      '[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = session\n',
    );
    const session = await w.run(['protect', '--profile', 'session']);
    expect(session.code).toBe(3);
    expect(session.stderr).toContain('temporary credentials');
    expect((await w.run(['protect', '--profile', 'role'])).code).toBe(3);
    expect((await w.run(['protect', '--profile', 'missing'])).code).toBe(2);
    const unprotect = await w.run(['unprotect', '--profile', 'session']);
    expect(unprotect.code).toBe(2);
    await w.writeCredentials(
      '[plain]\naws_access_key_id = AKIAPLAINPLAINPLAIN1\naws_secret_access_key = s\n',
    );
    const plain = await w.run(['unprotect', '--profile', 'plain']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('profile plain is not protected');
  });

  it('credentials prints only the JSON on stdout, and errors name keyrot and the fix on stderr', async () => {
    const w = await world();
    const user = await w.seed('printer');
    secrets.push(user.keys[0]!.secretAccessKey);
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    expect((await w.run(['protect', '--profile', 'p'])).code).toBe(0);
    const doctor = await w.run(['doctor']);
    expect(doctor.stdout).toMatch(/profile p is protected: key AKIA…\w{4} is in the OS keychain only/);
    const again = await w.run(['protect', '--profile', 'p']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('profile p is already protected');
    const printed = await printCredentials(w, 'p');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toBe('');
    expect(JSON.parse(printed.stdout)).toEqual({
      Version: 1,
      AccessKeyId: user.keys[0]!.accessKeyId,
      SecretAccessKey: user.keys[0]!.secretAccessKey,
    });
    const missing = await w.run(['credentials', '--profile', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('keyrot');
    expect(missing.stderr).toContain('keyrot protect --profile nope');
    // No session bus at all: the AWS CLI shows keyrot's reason and fix, and never a secret.
    const nobus = await awsIdentity(w, 'p', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' });
    expect(nobus.code).not.toBe(0);
    expect(nobus.stderr).toContain('cannot read the key of protected profile "p"');
    expect(nobus.stderr).toContain('D-Bus');
    expect(nobus.stderr).not.toContain(user.keys[0]!.secretAccessKey);
  });
});

/** Locks the login keyring, as the screen locker or `secret-tool lock` would. */
function lockLogin(service: PrivateSecretService): void {
  service.send(
    '/org/freedesktop/secrets',
    'org.freedesktop.Secret.Service.Lock',
    'array:objpath:/org/freedesktop/secrets/collection/login',
  );
}

const lockedSuite = describeWith('secretService', 'awsCli', 'dbusTools');

lockedSuite('keyrot credentials with a locked keychain', () => {
  const { world, secrets } = suiteWorlds();
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });
  /** A world whose keychain is a Secret Service of its own, which the test may lock. */
  async function privateWorld(): Promise<{ service: PrivateSecretService; w: World }> {
    const service = await startPrivateSecretService();
    stop = () => service.stop();
    const w = await world();
    Object.assign(w.env, {
      DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS,
      XDG_RUNTIME_DIR: service.env.XDG_RUNTIME_DIR,
    });
    return { service, w };
  }

  it('a keyring locked while protect waits changes no file; the AWS CLI keeps working; protect works once unlocked', async () => {
    if (!realPartsAvailable('dbusTools')) return;
    const { service, w } = await privateWorld();
    const user = await w.seed('locked-midway');
    const key = user.keys[0]!;
    secrets.push(key.secretAccessKey);
    const credentials = profileBlock('p', key);
    await w.writeCredentials(credentials);
    // protect has opened the keychain and waits for the key's lock, held by the test as a rotation would.
    const { release, exited, output } = await protectWaitingForLock(w, key.accessKeyId, 'p');
    lockLogin(service);
    await release();
    expect(await exited, output.stderr).toBe(5);
    expect(output.stdout).toBe('');
    expect(output.stderr).toContain('locked');
    expect(output.stderr).toContain('gnome-keyring-daemon --unlock');
    expect(output.stderr).not.toContain(key.secretAccessKey);
    // Nothing was changed: the key is still in the file, and the AWS CLI reads it from there.
    expect(await w.readCredentials()).toBe(credentials);
    await expect(lstat(w.configFile)).rejects.toThrow(/ENOENT/);
    const cli = await awsIdentity(w, 'p');
    expect(cli.code, cli.stderr).toBe(0);
    // Unlocked again (a new login), the same command protects the profile.
    await service.restartKeyring();
    const again = await w.run(['protect', '--profile', 'p']);
    expect(again.code, again.stderr).toBe(0);
    expect(await w.readCredentials()).toBe('[p]\n');
    expect(await cliKeyId(w, 'p')).toBe(key.accessKeyId);
  });

  it('the AWS CLI fails with keyrot naming the locked keyring and how to unlock it', async () => {
    if (!realPartsAvailable('dbusTools')) return;
    const { service, w } = await privateWorld();
    const user = await w.seed('locked');
    secrets.push(user.keys[0]!.secretAccessKey);
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    const protect = await w.run(['protect', '--profile', 'p']);
    expect(protect.code, protect.stderr).toBe(0);
    lockLogin(service);
    const locked = await awsIdentity(w, 'p');
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toContain('keyrot');
    expect(locked.stderr).toContain('locked');
    expect(locked.stderr).toContain('gnome-keyring-daemon --unlock');
    const direct = await w.run(['credentials', '--profile', 'p']);
    expect(direct.code).toBe(5);
    expect(direct.stdout).toBe('');
  });
});
