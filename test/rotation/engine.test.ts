// The protocol over the real emulator and SDK, with crashes injected at every port call: after any
// crash, a re-run completes and the invariants of docs/rotation-protocol.md hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import { rotateProfile } from '../../src/rotation/rotate-profile.js';
import { crashAt, engineDeps, MemoryFiles } from './engine-world.js';

const request = { profile: 'p', force: false, deleteOther: false, dryRun: false };
const block = (k: { accessKeyId: string; secretAccessKey: string }) =>
  `# keep me\n[p]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n[q] ; other\nregion = x\n`;

describe('rotation engine', () => {
  let emulator: RunningEmulator;
  let users = 0;
  let label = '';
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  async function setup(keyAgeDays = 120) {
    const user = await emulator.admin.seedUser({ user: `u${++users}`, keyAgeDays });
    const files = new MemoryFiles(block(user.keys[0]!));
    return { user, files, store: new MemorySecretStore() };
  }

  /** The invariants: the file's key works, at most two keys, every key held by the file or the journal. */
  // Right after a crash between CreateAccessKey and journaling its answer, one key may be unheld while the
  // journal still says "intent": the next run deletes it. After a re-run no such key may remain.
  async function checkInvariants(
    userName: string,
    files: MemoryFiles,
    store: MemorySecretStore,
    oldKeyId: string,
    afterCrash = false,
  ) {
    const deps = engineDeps(emulator, store, files);
    const profile = (await files.read()).credentials.get('p')!;
    const identity = await deps.sts.getCallerIdentity({
      accessKeyId: profile.aws_access_key_id!,
      secretAccessKey: profile.aws_secret_access_key!,
    });
    expect(identity.arn).toContain(`user/${userName}`);
    expect(files.credentials.replace(/^aws_.*$/gm, '')).toBe('# keep me\n[p]\n\n\n[q] ; other\nregion = x\n');
    const keys = emulator.admin.keys(userName);
    expect(keys.length).toBeLessThanOrEqual(2);
    const journal = await deps.journal.find(oldKeyId);
    const held = new Set([profile.aws_access_key_id, oldKeyId, journal?.newKeyId]);
    const pendingIntent = afterCrash && journal?.phase === 'intent';
    for (const key of keys) {
      if (!pendingIntent)
        expect(held.has(key.accessKeyId), `orphan key ${key.accessKeyId} ${label}`).toBe(true);
    }
  }

  it('rotates in at most 5 API requests and journals nothing afterwards', async () => {
    const { user, files, store } = await setup();
    const before = emulator.admin.requestCount();
    const deps = engineDeps(emulator, store, files);
    const result = await rotateProfile(request, deps);
    expect(result).toMatchObject({
      outcome: 'rotated',
      oldKeyAction: 'deactivated',
      otherKeyAction: 'none',
      resumed: false,
    });
    expect(emulator.admin.requestCount() - before).toBe(5);
    expect(await deps.journal.survey()).toEqual({ entries: [], damaged: [] });
    await checkInvariants(user.user, files, store, user.keys[0]!.accessKeyId);
    expect(
      emulator.admin.keys(user.user).find((k) => k.accessKeyId === user.keys[0]!.accessKeyId)?.status,
    ).toBe('Inactive');
  });

  it('deletes the old key instead when old_key = delete, and runs after_rotate with the key in its env only', async () => {
    const { user, files, store } = await setup();
    const deps = engineDeps(emulator, store, files, { oldKey: 'delete', afterRotate: 'echo hook' });
    let seen: Record<string, string> = {};
    deps.hook = {
      run: async (command, env) => {
        seen = { command, ...env };
        return {
          exitCode: 3,
          output: `leaked ${env.AWS_SECRET_ACCESS_KEY}`,
          durationMs: 40,
          timedOut: false,
        };
      },
    };
    const result = await rotateProfile(request, deps);
    expect(result.oldKeyAction).toBe('deleted');
    expect(result.hook).toEqual({ exitCode: 3, ok: false, durationMs: 40, timedOut: false });
    expect(seen.command).toBe('echo hook');
    expect(seen.AWS_ACCESS_KEY_ID).toBe(result.newKeyId);
    expect(seen.AWS_PROFILE).toBe('p');
    expect(emulator.admin.keys(user.user)).toHaveLength(1);
  });

  it('keeps the deactivated old key through grace_days, then deletes it without rotating', async () => {
    const { user, files, store } = await setup(30);
    const old = user.keys[0]!.accessKeyId;
    await rotateProfile({ ...request, force: true }, engineDeps(emulator, store, files));
    const kept = await rotateProfile(request, engineDeps(emulator, store, files, { graceDays: 1 }));
    expect(kept).toMatchObject({ outcome: 'not-due', otherKeyAction: 'none' });
    expect(emulator.admin.keys(user.user).find((k) => k.accessKeyId === old)?.status).toBe('Inactive');
    const expired = await rotateProfile(request, engineDeps(emulator, store, files, { graceDays: 0 }));
    expect(expired).toMatchObject({ outcome: 'not-due', otherKeyAction: 'deleted-inactive' });
    expect(emulator.admin.keys(user.user).map((k) => k.accessKeyId)).not.toContain(old);
  });

  it('stops cleanly when the keychain cannot record the new key, deleting that key again', async () => {
    const { user, files, store } = await setup();
    const deps = engineDeps(emulator, store, files);
    const journal = deps.journal;
    deps.journal = {
      find: journal.find.bind(journal),
      survey: journal.survey.bind(journal),
      begin: journal.begin.bind(journal),
      addFiles: journal.addFiles.bind(journal),
      finish: journal.finish.bind(journal),
      recordNewKey: async () => {
        throw new Error('keychain locked');
      },
    };
    const error = await rotateProfile(request, deps).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'KEYCHAIN_FAILED')).toBe(true);
    expect(emulator.admin.keys(user.user).map((k) => k.accessKeyId)).toEqual([user.keys[0]!.accessKeyId]);
    expect(files.credentials).toBe(block(user.keys[0]!));
  });

  it('recovers when the answer to CreateAccessKey is lost after the key was made (no orphan key)', async () => {
    const { user, files, store } = await setup();
    emulator.admin.addFault('CreateAccessKey:reset-after:once');
    try {
      const result = await rotateProfile(request, engineDeps(emulator, store, files));
      expect(result.outcome).toBe('rotated');
      expect(result.otherKeyAction).toBe('deleted-orphan');
    } finally {
      emulator.admin.clearFaults();
    }
    await checkInvariants(user.user, files, store, user.keys[0]!.accessKeyId);
    expect(emulator.admin.keys(user.user)).toHaveLength(2);
  });

  // Count the port calls of one clean rotation, then crash at each of them (before and after it ran).
  it('survives a crash at every port call, before or after it runs, and the re-run completes', async () => {
    const probe = await setup();
    const counting = engineDeps(emulator, probe.store, probe.files);
    const { calls } = crashAt(counting, Number.POSITIVE_INFINITY, 'after');
    await rotateProfile(request, counting);
    expect(calls.length).toBeGreaterThan(8);
    for (let n = 1; n <= calls.length; n += 1) {
      for (const when of ['before', 'after'] as const) {
        label = `(crash ${when} call ${n}: ${calls[n - 1]})`;
        const { user, files, store } = await setup();
        const crashing = engineDeps(emulator, store, files);
        crashAt(crashing, n, when);
        await rotateProfile(request, crashing).catch(() => undefined);
        await checkInvariants(user.user, files, store, user.keys[0]!.accessKeyId, true);
        const rerun = await rotateProfile(request, engineDeps(emulator, store, files));
        expect(['rotated', 'not-due'], `crash ${when} call ${n} (${calls[n - 1]})`).toContain(rerun.outcome);
        await checkInvariants(user.user, files, store, user.keys[0]!.accessKeyId);
        const current = (await files.read()).credentials.get('p')!.aws_access_key_id;
        expect(current, `crash ${when} call ${n}`).not.toBe(user.keys[0]!.accessKeyId);
        const old = emulator.admin.keys(user.user).find((k) => k.accessKeyId === user.keys[0]!.accessKeyId);
        expect(old?.status ?? 'gone').not.toBe('Active');
      }
    }
  });
});
