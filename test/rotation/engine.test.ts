// The protocol over the real emulator and SDK, with crashes injected at every port call: after any
// crash, a re-run completes and the invariants of docs/rotation-protocol.md hold.
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { RotationJournal } from '../../src/keychain/journal.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import type { CredentialFilesPort } from '../../src/rotation/ports.js';
import { rotateProfile } from '../../src/rotation/rotate-profile.js';
import { createWorld, type World } from '../support/world.js';
import { crashAt, engineDeps, worldFiles } from './engine-deps.js';

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
    const world = await createWorld({ label: 'engine', emulator });
    await world.writeCredentials(block(user.keys[0]!));
    return { user, world, files: worldFiles(world), store: new MemorySecretStore() };
  }

  /** The invariants: the file's key works, at most two keys, every key held by the file or the journal. */
  // Right after a crash between CreateAccessKey and journaling its answer, one key may be unheld while the
  // journal still says "intent": the next run deletes it. After a re-run no such key may remain.
  async function checkInvariants(
    userName: string,
    world: World,
    files: CredentialFilesPort,
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
    expect((await world.readCredentials()).replace(/^aws_.*$/gm, '')).toBe(
      '# keep me\n[p]\n\n\n[q] ; other\nregion = x\n',
    );
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
    const { user, world, files, store } = await setup();
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
    await checkInvariants(user.user, world, files, store, user.keys[0]!.accessKeyId);
    expect(
      emulator.admin.keys(user.user).find((k) => k.accessKeyId === user.keys[0]!.accessKeyId)?.status,
    ).toBe('Inactive');
  });

  it("overlaps each STS question with the keychain: whose key, while the journal is read once under the key's lock; the new key's proof, while it is journaled", async () => {
    const { user, files, store } = await setup();
    const deps = engineDeps(emulator, store, files);
    const oldKeyId = user.keys[0]!.accessKeyId;
    const events: string[] = [];
    const getCallerIdentity = deps.sts.getCallerIdentity.bind(deps.sts);
    deps.sts.getCallerIdentity = async (credentials) => {
      events.push(credentials.accessKeyId === oldKeyId ? 'sts old key' : 'sts new key');
      return getCallerIdentity(credentials);
    };
    const find = deps.journal.find.bind(deps.journal);
    deps.journal.find = async (keyId) => {
      events.push('find starts');
      const entry = await find(keyId);
      events.push('find ends');
      return entry;
    };
    const recordNewKey = deps.journal.recordNewKey.bind(deps.journal);
    deps.journal.recordNewKey = async (...args) => {
      events.push('journal new key starts');
      const entry = await recordNewKey(...args);
      events.push('journal new key ends');
      return entry;
    };
    const lock = deps.lock;
    deps.lock = async (...args) => {
      events.push(`lock ${args[0]}`);
      return lock(...args);
    };
    expect((await rotateProfile(request, deps)).outcome).toBe('rotated');
    expect(events).toEqual([
      'lock key',
      'sts old key',
      'find starts',
      'find ends',
      'lock user',
      'sts new key',
      'journal new key starts',
      'journal new key ends',
    ]);
    // The proof's answer counts once the key is journaled: its progress line follows the creation's.
    expect(deps.steps.findIndex((s) => s.startsWith('create:'))).toBeLessThan(
      deps.steps.findIndex((s) => s.startsWith('prove:')),
    );
  });

  it("takes an unfinished rotation's lock (its old key's) when the profile holds its new key, and reads the journal there", async () => {
    const { user, files, store } = await setup();
    const oldKeyId = user.keys[0]!.accessKeyId;
    // A rotation that dies right after rewriting the file: the profile holds the new key, the journal
    // the entry of the old one.
    const crashing = engineDeps(emulator, store, {
      ...files,
      async replaceKeyId(...args) {
        await files.replaceKeyId(...args);
        throw new Error('simulated crash after the rewrite');
      },
    });
    await expect(rotateProfile(request, crashing)).rejects.toThrow('simulated crash');
    const newKeyId = (await files.read()).credentials.get('p')!.aws_access_key_id!;
    expect(newKeyId).not.toBe(oldKeyId);

    const deps = engineDeps(emulator, store, files);
    const events: string[] = [];
    const find = deps.journal.find.bind(deps.journal);
    deps.journal.find = async (keyId) => {
      events.push(`find ${keyId}`);
      return find(keyId);
    };
    deps.lock = async (kind, name) => {
      events.push(`lock ${kind} ${name}`);
      return async () => {
        events.push(`release ${kind} ${name}`);
      };
    };
    const result = await rotateProfile(request, deps);
    expect(result).toMatchObject({ outcome: 'rotated', resumed: true, newKeyId: expect.any(String) });
    expect(events.slice(0, 5)).toEqual([
      `lock key ${newKeyId}`,
      `find ${newKeyId}`,
      `release key ${newKeyId}`,
      `lock key ${oldKeyId}`,
      `find ${newKeyId}`,
    ]);
    expect(events[5]).toMatch(/^lock user arn:/);
    expect(events.filter((event) => event.startsWith('lock key'))).toHaveLength(2);
    expect(events.at(-1)).toBe(`release key ${oldKeyId}`);
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
    const { user, world, files, store } = await setup();
    const deps = engineDeps(emulator, store, files);
    const journal = deps.journal;
    deps.journal = {
      find: journal.find.bind(journal),
      survey: journal.survey.bind(journal),
      begin: journal.begin.bind(journal),
      addFiles: journal.addFiles.bind(journal),
      finish: journal.finish.bind(journal),
      openWindow: journal.openWindow.bind(journal),
      recordUseSeen: journal.recordUseSeen.bind(journal),
      recordNewKey: async () => {
        throw new Error('keychain locked');
      },
    };
    const error = await rotateProfile(request, deps).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'KEYCHAIN_FAILED')).toBe(true);
    expect(emulator.admin.keys(user.user).map((k) => k.accessKeyId)).toEqual([user.keys[0]!.accessKeyId]);
    expect(await world.readCredentials()).toBe(block(user.keys[0]!));
  });

  it('stops (exit 3) when the profile holds neither the old nor the new key at the rewrite, and finishes once the old key is back', async () => {
    const { user, world, files, store } = await setup();
    const old = user.keys[0]!;
    const deps = engineDeps(emulator, store, files);
    const stranger = block({
      accessKeyId: 'AKIASTRANGERSTRANGER',
      secretAccessKey: 'restored-from-elsewhere',
    });
    const backups = deps.backups;
    // Someone restores another file while the rotation backs up (after the new key exists).
    deps.backups = {
      reserve: (files) => backups.reserve(files),
      backup: async (content, meta) => {
        const info = await backups.backup(content, meta);
        await world.writeCredentials(stranger);
        return info;
      },
    };
    const error = await rotateProfile(request, deps).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'PROFILE_CHANGED')).toBe(true);
    const refusal = error as KeyrotError;
    expect(refusal.exitCode).toBe(3);
    expect(refusal.message).toContain('now holds AKIA…NGER: neither AKIA…');
    expect(refusal.message).not.toContain('still holds the old');
    // Nothing was written over the person's file; the journal keeps the new key; the old key still works.
    expect(await world.readCredentials()).toBe(stranger);
    const entry = await deps.journal.find(old.accessKeyId);
    expect(entry?.newKeyId).toBeDefined();
    expect(emulator.admin.keys(user.user).find((k) => k.accessKeyId === old.accessKeyId)?.status).toBe(
      'Active',
    );
    // Putting the old key back lets the next run finish that rotation.
    await world.writeCredentials(block(old));
    const rerun = await rotateProfile(request, engineDeps(emulator, store, files));
    expect(rerun).toMatchObject({ outcome: 'rotated', resumed: true, newKeyId: entry!.newKeyId });
    await checkInvariants(user.user, world, files, store, old.accessKeyId);
  });

  it("never deletes a key another unfinished rotation holds, even with --delete-other; the refusal names that rotation's files", async () => {
    const user = await emulator.admin.seedUser({ user: `u${++users}`, keyAgeDays: 120, secondKey: 'active' });
    const [mine, theirs] = user.keys as [(typeof user.keys)[0], (typeof user.keys)[0]];
    const world = await createWorld({ label: 'engine', emulator });
    await world.writeCredentials(block(mine));
    const files = worldFiles(world);
    const store = new MemorySecretStore();
    const deps = engineDeps(emulator, store, files);
    // The user's other key is being replaced by a rotation of another file, interrupted at its intent.
    await deps.journal.begin({
      userArn: user.arn,
      oldKeyId: theirs.accessKeyId,
      profile: 'work',
      files: [{ path: '/elsewhere/credentials', kind: 'credentials' }],
      keysBefore: [mine.accessKeyId, theirs.accessKeyId],
    });
    const error = await rotateProfile({ ...request, deleteOther: true }, deps).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'OTHER_KEY_ACTIVE')).toBe(true);
    expect((error as KeyrotError).message).toContain('/elsewhere/credentials');
    expect(
      emulator.admin
        .keys(user.user)
        .map((k) => k.accessKeyId)
        .sort(),
    ).toEqual([mine.accessKeyId, theirs.accessKeyId].sort());
    // This run's own intent is gone again; the other rotation's entry is untouched.
    const { entries } = await deps.journal.survey();
    expect(entries.map((e) => e.oldKeyId)).toEqual([theirs.accessKeyId]);
    expect(await world.readCredentials()).toBe(block(mine));
  });

  it('recovers when the answer to CreateAccessKey is lost after the key was made (no orphan key)', async () => {
    const { user, world, files, store } = await setup();
    emulator.admin.addFault('CreateAccessKey:reset-after:once');
    try {
      const result = await rotateProfile(request, engineDeps(emulator, store, files));
      expect(result.outcome).toBe('rotated');
      expect(result.otherKeyAction).toBe('deleted-orphan');
    } finally {
      emulator.admin.clearFaults();
    }
    await checkInvariants(user.user, world, files, store, user.keys[0]!.accessKeyId);
    expect(emulator.admin.keys(user.user)).toHaveLength(2);
  });

  it('survives a CreateAccessKey whose answer is lost and that IAM runs only after the orphan check', async () => {
    const { user, world, files, store } = await setup();
    const deps = engineDeps(emulator, store, files);
    const real = deps.iam;
    // The first request "times out" but reaches IAM late, just before the retry: the retry then finds the
    // user at two keys (LimitExceeded) and the late key's secret is known to nobody.
    let late: (() => Promise<unknown>) | null = null;
    let calls = 0;
    deps.iam = Object.assign(Object.create(real) as typeof real, {
      createAccessKey: async (...args: Parameters<typeof real.createAccessKey>) => {
        calls += 1;
        if (calls === 1) {
          late = () => real.createAccessKey(...args);
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        if (late) await late().then(() => (late = null));
        return real.createAccessKey(...args);
      },
    });
    const result = await rotateProfile(request, deps);
    expect(result.outcome).toBe('rotated');
    expect(result.otherKeyAction).toBe('deleted-orphan');
    expect(calls).toBe(3);
    await checkInvariants(user.user, world, files, store, user.keys[0]!.accessKeyId);
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
        const { user, world, files, store } = await setup();
        const crashing = engineDeps(emulator, store, files);
        crashAt(crashing, n, when);
        await rotateProfile(request, crashing).catch(() => undefined);
        await checkInvariants(user.user, world, files, store, user.keys[0]!.accessKeyId, true);
        const rerun = await rotateProfile(request, engineDeps(emulator, store, files));
        expect(['rotated', 'not-due'], `crash ${when} call ${n} (${calls[n - 1]})`).toContain(rerun.outcome);
        await checkInvariants(user.user, world, files, store, user.keys[0]!.accessKeyId);
        const current = (await files.read()).credentials.get('p')!.aws_access_key_id;
        expect(current, `crash ${when} call ${n}`).not.toBe(user.keys[0]!.accessKeyId);
        const old = emulator.admin.keys(user.user).find((k) => k.accessKeyId === user.keys[0]!.accessKeyId);
        expect(old?.status ?? 'gone').not.toBe('Active');
      }
    }
  });

  describe('the keychain index, written once per rotation', () => {
    const forced = { ...request, force: true };

    /** A world whose key is in both files: the rotation backs up the credentials and the config file. */
    async function twoFiles() {
      const world = await setup();
      const key = world.user.keys[0]!;
      await world.world.writeConfig(
        `[profile q]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
      );
      return world;
    }

    /** Backup names the index lists without a value, and catalogued backups whose content is not whole. */
    async function backupLeftovers(store: MemorySecretStore) {
      const values = new ChunkedValueStore(store);
      const empty: string[] = [];
      for (const name of await values.list('backup:'))
        if ((await values.get(name)) === null) empty.push(name);
      const unreadable: string[] = [];
      const backups = new BackupStore(values);
      for (const info of await backups.list())
        await backups.read(info.id).catch(() => unreadable.push(info.id));
      return { empty, unreadable };
    }

    it('lists both backups of a two-file rotation with the intent: one index write per rotation', async () => {
      const { files, store } = await twoFiles();
      for (let i = 0; i < 2; i++) {
        store.calls.length = 0;
        const result = await rotateProfile(forced, engineDeps(emulator, store, files));
        expect(result.outcome).toBe('rotated');
        expect(store.calls.filter((call) => call === 'set h/~index')).toHaveLength(1);
        // Two backups, each written once, its name not read first.
        const contents = store.calls.filter((call) => call.startsWith('set h/backup:'));
        expect(contents).toHaveLength(2);
        for (const call of contents) expect(store.calls).not.toContain(call.replace('set', 'get'));
      }
      const listed = await new BackupStore(new ChunkedValueStore(store)).list();
      expect(listed.map((info) => basename(info.file)).sort()).toEqual([
        'config',
        'config',
        'credentials',
        'credentials',
      ]);
      expect(await backupLeftovers(store)).toEqual({ empty: [], unreadable: [] });
    });

    it('a dry run neither writes the keychain nor reserves a backup', async () => {
      const { files, store } = await twoFiles();
      const result = await rotateProfile({ ...forced, dryRun: true }, engineDeps(emulator, store, files));
      expect(result.outcome).toBe('dry-run');
      expect(store.calls.filter((call) => !call.startsWith('get '))).toEqual([]);
      expect(store.calls).not.toContain('get h/backups');
    });

    /** Engine deps keeping one backup per file, so that every rotation after the first prunes two. */
    function keepingOne(store: MemorySecretStore, files: CredentialFilesPort) {
      const deps = engineDeps(emulator, store, files);
      const values = new ChunkedValueStore(store);
      deps.journal = new RotationJournal(values, { emptyRecord: null });
      deps.backups = new BackupStore(values, { keep: 1 });
      return deps;
    }

    // A crash at each keychain write of a rotation (of both files, pruning the backups of an earlier one),
    // then a re-run, then one more rotation: what was listed without a value before it (names listed
    // ahead and never written, pruned backups) is gone after it.
    it('survives a crash at every keychain write, and leaves no backup name listed without a value for long', async () => {
      let crashes = 0;
      for (let skip = 0; ; skip++) {
        const { user, world, files, store } = await twoFiles();
        label = `(crash at keychain write ${skip})`;
        await rotateProfile(forced, keepingOne(store, files));
        store.calls.length = 0;
        store.injectError({ op: 'write', skip });
        // A failed deletion of a pruned content does not fail the rotation: the loop ends once no write failed.
        await rotateProfile(forced, keepingOne(store, files)).catch(() => undefined);
        const failed = store.calls.filter((call) => !call.startsWith('get ')).length > skip;
        store.clearInjectedErrors();
        const rerun = await rotateProfile(forced, keepingOne(store, files));
        expect(rerun.outcome, label).toBe('rotated');
        await checkInvariants(user.user, world, files, store, rerun.oldKeyId);
        const before = await backupLeftovers(store);
        const next = await rotateProfile(forced, keepingOne(store, files));
        expect(next.outcome, label).toBe('rotated');
        const after = await backupLeftovers(store);
        expect(before.empty.length, label).toBeGreaterThan(0);
        expect(
          after.empty.filter((name) => before.empty.includes(name)),
          label,
        ).toEqual([]);
        // Only the two backups this rotation pruned: deleted, their names go with the next index update.
        expect(after.empty.length, label).toBeLessThanOrEqual(2);
        expect(after.unreadable, label).toEqual([]);
        if (!failed) break;
        crashes += 1;
      }
      expect(crashes).toBeGreaterThan(8);
    });
  });
});
