// Issue 11's scenarios end to end: the built CLI (and `keyrot daemon --once`) as subprocesses, the emulator
// over HTTP, a real Secret Service for the journal. One key in two profiles rotated by two processes at
// once, an interrupted rotation in one file beside a due key in another, and files the atomic rename
// cannot replace (checked before a key is created).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StsApi } from '../../src/aws/clients.js';
import { describeWith } from '../support/real-part.js';
import { profileBlock, valueIn, type World } from '../support/world.js';
import { suiteWorlds } from './harness.js';

type Key = { accessKeyId: string; secretAccessKey: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The outcome of `profile` in a rotate-now --json document. */
function outcomeOf(stdout: string): string {
  return (JSON.parse(stdout) as { profiles: { outcome: string }[] }).profiles[0]!.outcome;
}

describeWith('secretService')('one rotation per IAM user (issue 11)', () => {
  const { secrets, world } = suiteWorlds();
  let users = 0;

  async function seed(w: World, keyAgeDays = 120) {
    const user = await w.seed(`u${++users}`, { keyAgeDays });
    secrets.push(user.keys[0]!.secretAccessKey);
    return { name: user.user, arn: user.arn, old: user.keys[0]! };
  }

  /** The key pair a profile of a credentials file text resolves to. */
  function keyIn(text: string, profile: string): Key {
    return {
      accessKeyId: valueIn(text, profile, 'aws_access_key_id') ?? '',
      secretAccessKey: valueIn(text, profile, 'aws_secret_access_key') ?? '',
    };
  }

  /**
   * The end state every scenario must reach: each listed profile holds a key of `user` that STS accepts,
   * the user has at most two keys, every key is held by a profile or is the (no longer active) old key.
   */
  async function expectSettled(w: World, user: { name: string; old: Key }, holders: Key[]) {
    const sts = new StsApi({ region: 'us-east-1', stsEndpoint: w.emulator.url, maxAttempts: 1 });
    try {
      for (const key of holders) {
        secrets.push(key.secretAccessKey);
        expect((await sts.getCallerIdentity(key)).arn).toMatch(new RegExp(`user/${user.name}$`));
      }
    } finally {
      sts.destroy();
    }
    const keys = w.emulator.admin.keys(user.name);
    expect(keys.length).toBeLessThanOrEqual(2);
    const held = new Set(holders.map((k) => k.accessKeyId));
    for (const key of keys) {
      if (held.has(key.accessKeyId)) continue;
      expect(key.accessKeyId, 'a key nobody holds').toBe(user.old.accessKeyId);
      expect(key.status).toBe('Inactive');
    }
  }

  describe('scenario 1: one key in two profiles, rotated by two processes at once', () => {
    const races = [50, 150].flatMap((latencyMs) =>
      [0, 200, 500].map((offsetMs) => ({ latencyMs, offsetMs })),
    );

    /** A world whose profiles a and b hold the same 120-day-old key, on an emulator with `latencyMs`. */
    async function sharedKey(latencyMs: number) {
      const w = await world();
      const user = await seed(w);
      await w.writeCredentials(`${profileBlock('a', user.old)}\n${profileBlock('b', user.old)}`);
      w.emulator.admin.setLatencyMs(latencyMs);
      return { w, user };
    }

    /** Both profiles hold the one new key, IAM has it and the deactivated old key only; nothing is stuck. */
    async function expectRotatedOnce(w: World, user: Awaited<ReturnType<typeof seed>>) {
      const text = await w.readCredentials();
      const [ka, kb] = [keyIn(text, 'a'), keyIn(text, 'b')];
      expect(kb).toEqual(ka);
      expect(ka.accessKeyId).not.toBe(user.old.accessKeyId);
      expect(
        w.emulator.admin
          .keys(user.name)
          .map((k) => k.accessKeyId)
          .sort(),
      ).toEqual([user.old.accessKeyId, ka.accessKeyId].sort());
      await expectSettled(w, user, [ka]);
      for (const profile of ['a', 'b']) {
        const again = await w.run(['rotate-now', '--profile', profile, '--json']);
        expect(again.code, again.stderr).toBe(0);
        expect(outcomeOf(again.stdout)).toBe('not-due');
      }
    }

    it.each(races)(
      'rotate-now a and rotate-now b --delete-other $offsetMs ms later, latency $latencyMs ms: one rotation, both profiles on the new key',
      async ({ latencyMs, offsetMs }) => {
        const { w, user } = await sharedKey(latencyMs);
        try {
          const first = w.run(['rotate-now', '--profile', 'a', '--json']);
          await sleep(offsetMs);
          const second = w.run(['rotate-now', '--profile', 'b', '--delete-other', '--json']);
          const [a, b] = await Promise.all([first, second]);
          expect(a.code, a.stderr).toBe(0);
          expect(b.code, b.stderr).toBe(0);
          const outcomes = [outcomeOf(a.stdout), outcomeOf(b.stdout)];
          // Exactly one rotated; the other waited and found it done, or started after it had finished.
          expect(outcomes.filter((o) => o === 'rotated')).toHaveLength(1);
          expect(['already-rotated', 'not-due']).toContain(outcomes.find((o) => o !== 'rotated'));
        } finally {
          w.emulator.admin.setLatencyMs(0);
        }
        await expectRotatedOnce(w, user);
      },
      120_000,
    );

    it.each(races)(
      'keyrot daemon --once rotating a and rotate-now b (other_active_key = delete) $offsetMs ms later, latency $latencyMs ms',
      async ({ latencyMs, offsetMs }) => {
        const { w, user } = await sharedKey(latencyMs);
        try {
          await mkdir(join(w.home, '.config', 'keyrot'), { recursive: true });
          await writeFile(
            join(w.home, '.config', 'keyrot', 'config.ini'),
            'notify = false\n[profile a]\n[profile b]\nother_active_key = delete\n',
          );
          const daemon = w.run(['daemon', '--once']);
          await sleep(offsetMs);
          const manual = w.run(['rotate-now', '--profile', 'b', '--json']);
          const [d, m] = await Promise.all([daemon, manual]);
          expect(d.code, d.stderr).toBe(0);
          expect(m.code, m.stderr).toBe(0);
          expect(['rotated', 'already-rotated', 'not-due']).toContain(outcomeOf(m.stdout));
        } finally {
          w.emulator.admin.setLatencyMs(0);
        }
        await expectRotatedOnce(w, user);
      },
      120_000,
    );
  });

  it('rotate-now --profile a --profile b --force on one shared key rotates it once; b is already rotated', async () => {
    const w = await world();
    const user = await seed(w);
    await w.writeCredentials(`${profileBlock('a', user.old)}\n${profileBlock('b', user.old)}`);
    const run = await w.run(['rotate-now', '--profile', 'a', '--profile', 'b', '--force', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const [a, b] = JSON.parse(run.stdout).profiles as { outcome: string; newKeyId: string }[];
    expect([a!.outcome, b!.outcome]).toEqual(['rotated', 'already-rotated']);
    expect(b!.newKeyId).toBe(a!.newKeyId);
    const key = keyIn(await w.readCredentials(), 'b');
    expect(keyIn(await w.readCredentials(), 'a')).toEqual(key);
    expect(w.emulator.admin.keys(user.name)).toHaveLength(2);
    await expectSettled(w, user, [key]);
  }, 60_000);

  it("scenario 3: one file's interrupted rotation neither blocks nor hijacks another file's due key", async () => {
    const w = await world();
    const first = await seed(w);
    const second = await seed(w);
    const firstFile = join(w.home, 'first-credentials');
    const secondFile = join(w.home, 'second-credentials');
    await writeFile(firstFile, profileBlock('dev', first.old), { mode: 0o600 });
    await writeFile(secondFile, profileBlock('dev', second.old), { mode: 0o600 });

    // The first file's rotation creates its key, which AWS does not accept in time: it stays in the journal.
    w.emulator.admin.setPropagationDelayMs(60_000);
    let interrupted: Awaited<ReturnType<World['run']>>;
    try {
      interrupted = await w.run(['rotate-now', '--profile', 'dev', '--credentials-file', firstFile], {
        env: { KEYROT_PROPAGATION_TIMEOUT_MS: '500' },
      });
    } finally {
      w.emulator.admin.setPropagationDelayMs(0);
    }
    expect(interrupted.code, interrupted.stderr).toBe(1);
    expect(interrupted.stderr).toContain('did not accept the new key');
    expect(interrupted.stderr).toContain('Your file still holds the old key');
    expect(w.emulator.admin.keys(first.name)).toHaveLength(2);

    // The second file's profile of the same name rotates its own user's key, untouched by that entry.
    const other = await w.run(['rotate-now', '--profile', 'dev', '--credentials-file', secondFile, '--json']);
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout).profiles[0]).toMatchObject({ outcome: 'rotated', resumed: false });
    expect(other.stderr).not.toContain('resume');
    const secondKey = keyIn(await readFile(secondFile, 'utf8'), 'dev');
    expect(secondKey.accessKeyId).not.toBe(second.old.accessKeyId);
    await expectSettled(w, second, [secondKey]);

    // status lists the first file's unfinished rotation, with its file and never its secret.
    const status = await w.run(['status', '--credentials-file', firstFile, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).pendingRotations).toEqual([
      expect.objectContaining({ userArn: first.arn, phase: 'created', files: [firstFile] }),
    ]);

    // A run on the first file resumes its own rotation and finishes it.
    const resumed = await w.run([
      'rotate-now',
      '--profile',
      'dev',
      '--credentials-file',
      firstFile,
      '--json',
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).profiles[0]).toMatchObject({ outcome: 'rotated', resumed: true });
    const firstKey = keyIn(await readFile(firstFile, 'utf8'), 'dev');
    await expectSettled(w, first, [firstKey]);
    const after = await w.run(['status', '--credentials-file', firstFile, '--json']);
    expect(JSON.parse(after.stdout).pendingRotations).toEqual([]);
  }, 120_000);
});
