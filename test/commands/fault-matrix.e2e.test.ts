// The fault matrix: each IAM/STS call of a rotation failing with 500, throttling, a dropped connection
// and a timeout (and, for the calls that change keys, a lost answer after the change). The run retries
// or stops cleanly; a re-run completes; the person is never locked out.
import { afterAll, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock, type World } from '../support/world.js';
import { checkInvariants, expectNoSecretLeft } from './harness.js';

const suite = describeWith('secretService');

const ACTIONS = ['GetCallerIdentity', 'ListAccessKeys', 'CreateAccessKey', 'UpdateAccessKey'];
const KINDS = ['500', 'throttle', 'reset', 'timeout'];
const AFTER_KINDS = ['reset-after', 'timeout-after'];
const CASES = [
  ...ACTIONS.flatMap((action) =>
    KINDS.flatMap((kind) => ['once', 'always'].map((count) => ({ action, kind, count }))),
  ),
  ...['CreateAccessKey', 'UpdateAccessKey'].flatMap((action) =>
    AFTER_KINDS.flatMap((kind) => ['once', 'always'].map((count) => ({ action, kind, count }))),
  ),
];
const BATCH = 6;
// Short SDK timeouts keep the matrix within a few minutes, yet leave room for a loaded 2-core machine.
const FAST = {
  KEYROT_AWS_TIMEOUT_MS: '1200',
  KEYROT_AWS_MAX_ATTEMPTS: '2',
  KEYROT_PROPAGATION_TIMEOUT_MS: '2500',
};

suite('fault matrix: every call × 500/throttle/reset/timeout', () => {
  const worlds: World[] = [];
  const secrets: string[] = [];
  afterAll(async () => {
    await expectNoSecretLeft(worlds, secrets);
  });

  it(`retries or stops cleanly, and a re-run completes (${CASES.length} cases)`, async () => {
    const failures: string[] = [];
    for (let start = 0; start < CASES.length; start += BATCH) {
      await Promise.all(
        CASES.slice(start, start + BATCH).map(async ({ action, kind, count }) => {
          const label = `${action}:${kind}:${count}`;
          const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
          try {
            const w = await createWorld({ label: 'e2e', emulator, env: FAST });
            worlds.push(w);
            const user = await w.seed('fault', { keyAgeDays: 120 });
            const old = user.keys[0]!;
            secrets.push(old.secretAccessKey);
            const template = profileBlock('p', old);
            await w.writeCredentials(template);
            emulator.admin.addFault(`${action}:${kind}:${count}`);
            const first = await w.run(['rotate-now', '--profile', 'p', '--json'], { timeoutMs: 120_000 });
            if (first.signal) failures.push(`${label}: first run killed by ${first.signal}`);
            // A stop must be clean: exit 1 with an explanation, and the file still works.
            if (first.code !== 0 && !/"code"/.test(first.stdout))
              failures.push(`${label}: unclean stop ${first.code}`);
            if (count === 'once' && first.code !== 0)
              failures.push(`${label}: one fault was not retried (${first.stdout})`);
            emulator.admin.clearFaults();
            await checkInvariants(w, user.user, old, { template, finished: false }).catch((e: Error) =>
              failures.push(`${label}: after the first run: ${e.message}`),
            );
            const second = await w.run(['rotate-now', '--profile', 'p', '--json']);
            if (second.code !== 0)
              failures.push(`${label}: re-run exit ${second.code}: ${second.stdout}${second.stderr}`);
            await checkInvariants(w, user.user, old, { template, finished: true }).catch((e: Error) =>
              failures.push(`${label}: after the re-run: ${e.message}`),
            );
            secrets.push((await w.currentKey('p')).secretAccessKey);
            process.stderr.write(`fault ${label}: first exit ${first.code}, re-run exit ${second.code}\n`);
          } finally {
            await emulator.close();
          }
        }),
      );
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
