// The pre-flight, end to end: files keyrot's atomic rename cannot (or should not) replace are refused with
// exit 3 before CreateAccessKey, so IAM still lists only the old key. A bind-mounted file and a read-only
// directory are made for real in a private mount namespace (`unshare -m`, as root), where root's
// permission override does not help: a rename over a mount point is EBUSY, a read-only mount is EROFS.
import { chown, link, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { IamApi } from '../../src/aws/clients.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, runCommand } from '../support/run-cli.js';
import { profileBlock, type World } from '../support/world.js';
import { suiteWorlds } from './harness.js';

const suite = describeWith('secretService', 'mountNamespace');

/** Runs the CLI inside a fresh private mount namespace, after `setup` (sh, given env) has mounted things. */
async function runInNamespace(w: World, setup: string, args: string[], env: NodeJS.ProcessEnv) {
  const shell = `set -e; ${setup}; exec "$0" "$@"`;
  const result = await runCommand(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', shell, process.execPath, CLI_PATH, ...args],
    { env: { ...w.env, ...env }, timeoutMs: 120_000 },
  );
  w.captures.push(result.stdout, result.stderr);
  return result;
}

suite('pre-flight: files that cannot be replaced are refused before a key is created', () => {
  const { secrets, world } = suiteWorlds();
  let users = 0;

  async function prepare() {
    const w = await world();
    const user = await w.seed(`pf${++users}`, { keyAgeDays: 120 });
    const old = user.keys[0]!;
    secrets.push(old.secretAccessKey);
    const text = profileBlock('p', old);
    await w.writeCredentials(text);
    return { w, user, old, text };
  }

  /** IAM's own answer (the real SDK over HTTP): the user's key ids. */
  async function listedKeys(
    w: World,
    old: { accessKeyId: string; secretAccessKey: string },
    userName: string,
  ) {
    const iam = new IamApi({ region: 'us-east-1', iamEndpoint: w.emulator.url, maxAttempts: 1 });
    try {
      return (await iam.listAccessKeys(old, userName)).map((k) => k.accessKeyId);
    } finally {
      iam.destroy();
    }
  }

  it('a bind-mounted credentials file: exit 3 saying to mount the directory; IAM lists only the old key', async () => {
    const { w, user, old, text } = await prepare();
    // The file the container would see is a bind mount of a file elsewhere (same file system: st_dev is
    // the same, so only the mount table tells).
    const elsewhere = await tempDir('e2e-bind');
    const source = join(elsewhere, 'credentials');
    await writeFile(source, text, { mode: 0o600 });
    const run = await runInNamespace(
      w,
      'mount --bind "$BIND_SOURCE" "$BIND_TARGET"',
      ['rotate-now', '--profile', 'p'],
      {
        BIND_SOURCE: source,
        BIND_TARGET: w.credentialsFile,
      },
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`${w.credentialsFile} is a mount point of its own`);
    expect(run.stderr).toContain('Mount the directory, not the file');
    expect(await listedKeys(w, old, user.user)).toEqual([old.accessKeyId]);
    expect(await readFile(source, 'utf8')).toBe(text);
    const status = await w.run(['status', '--json']);
    expect(JSON.parse(status.stdout).pendingRotations).toEqual([]);
  }, 60_000);

  it('a read-only ~/.aws: exit 3 naming the directory; IAM lists only the old key', async () => {
    const { w, user, old, text } = await prepare();
    const awsDir = join(w.home, '.aws');
    const run = await runInNamespace(
      w,
      'mount --bind "$RO_DIR" "$RO_DIR"; mount -o remount,bind,ro "$RO_DIR"',
      ['rotate-now', '--profile', 'p'],
      { RO_DIR: awsDir },
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`keyrot cannot replace files in ${awsDir}: the directory is on a read-only`);
    expect(await listedKeys(w, old, user.user)).toEqual([old.accessKeyId]);
    expect(await w.readCredentials()).toBe(text);
  }, 60_000);

  it('a hard-linked file: exit 3 naming the fix; --allow-hardlink rotates, and the other name keeps the old key', async () => {
    const { w, user, old, text } = await prepare();
    const other = join(w.home, 'credentials-second-name');
    await link(w.credentialsFile, other);
    const refused = await w.run(['rotate-now', '--profile', 'p']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`${w.credentialsFile} has 2 hard links`);
    expect(refused.stderr).toContain('--allow-hardlink');
    expect(await listedKeys(w, old, user.user)).toEqual([old.accessKeyId]);
    const allowed = await w.run(['rotate-now', '--profile', 'p', '--allow-hardlink']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(await readFile(other, 'utf8')).toBe(text);
    const rotated = await w.readCredentials();
    expect(rotated).not.toContain(old.accessKeyId);
    secrets.push(/aws_secret_access_key = (\S+)/.exec(rotated)![1]!);
  }, 60_000);

  it("a symlink to another user's file: exit 3; IAM lists only the old key", async () => {
    const { w, user, old, text } = await prepare();
    const theirs = join(w.home, 'their-credentials');
    await writeFile(theirs, text, { mode: 0o600 });
    await chown(theirs, 4242, 4242);
    await rm(w.credentialsFile);
    await symlink(theirs, w.credentialsFile);
    const run = await w.run(['rotate-now', '--profile', 'p']);
    expect(run.code, run.stderr).toBe(3);
    // The link is followed: the file a rename would replace is the target, and it is not ours.
    expect(run.stderr).toContain(`${theirs} belongs to user id 4242, not to you`);
    expect(await listedKeys(w, old, user.user)).toEqual([old.accessKeyId]);
    expect(await readFile(theirs, 'utf8')).toBe(text);
  }, 60_000);
});
