// `keyrot status` skips the keychain when the record of an empty journal (src/state/journal-empty.ts) says
// there is no rotation to list and no profile is protected, and reads it otherwise: no record (a state
// written by an older keyrot), a record of another keychain, a protected profile. The built CLI, the
// emulator over HTTP, the real Secret Service; a bus address that leads nowhere shows whether status
// tried the keychain (it then warns that it could not read the journal).
import { readFile, rm, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { RotationJournal } from '../../src/keychain/journal.js';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { keychainIdentity } from '../../src/keychain/service-name.js';
import { journalEmptyPath } from '../../src/state/journal-empty.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock, type World } from '../support/world.js';

const NO_BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/keyrot-test-bus' };
const UNREADABLE = 'could not read the rotation journal';

interface StatusDoc {
  profiles: { profile: string; keyId: string | null; keys: unknown[] | null }[];
  pendingRotations?: { oldKeyId: string; phase: string }[];
  warnings: string[];
}

async function status(w: World, env: NodeJS.ProcessEnv = {}): Promise<StatusDoc> {
  const run = await w.run(['status', '--json'], { env });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as StatusDoc;
}

/** Runs `work` on the world's journal as a keyrot that keeps no record would (an older one). */
async function withJournal(w: World, work: (journal: RotationJournal) => Promise<void>): Promise<void> {
  const keychain = await openKeychain({ env: w.env, stateDir: w.stateDir });
  try {
    await work(new RotationJournal(keychain.values, { emptyRecord: null }));
  } finally {
    await keychain.close?.();
  }
}

async function world(label: string) {
  const w = await createWorld({ label });
  const user = await w.seed(label, { keyAgeDays: 120 });
  const key = user.keys[0]!;
  await w.writeCredentials(profileBlock('p', key));
  await w.writeConfig('[profile p]\nregion = us-east-1\n');
  return { w, key, user };
}

describeWith('secretService', 'builtCli')('status and the record of an empty journal', () => {
  it('after a rotation, status asks IAM without opening the keychain; without the record it reads it', async () => {
    const { w } = await world('status-record');
    const rotated = await w.run(['rotate-now', '--profile', 'p', '--force']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(await readFile(journalEmptyPath(w.stateDir), 'utf8'))).toEqual({
      version: 1,
      keychain: keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: w.keychainService }),
    });
    // No bus: the keychain cannot be reached, and status needs it not.
    const skipped = await status(w, NO_BUS);
    expect(skipped.pendingRotations).toEqual([]);
    expect(skipped.warnings).toEqual([]);
    expect(skipped.profiles[0]?.keys).toHaveLength(2);
    // Without the record (as an older keyrot left the state dir) status must read the journal.
    await rm(journalEmptyPath(w.stateDir));
    const unread = await status(w, NO_BUS);
    expect(unread.pendingRotations).toBeUndefined();
    expect(unread.warnings.join('\n')).toContain(UNREADABLE);
    // With the keychain reachable it reads the empty journal and writes the record for the next run.
    expect((await status(w)).pendingRotations).toEqual([]);
    expect((await status(w, NO_BUS)).warnings).toEqual([]);
  });

  it('lists a rotation an older keyrot left unfinished, and records the journal only once it is empty', async () => {
    const { w, key, user } = await world('status-old-journal');
    const entryKey = { userArn: user.arn, oldKeyId: key.accessKeyId };
    await withJournal(w, (journal) =>
      journal
        .begin({
          ...entryKey,
          profile: 'p',
          files: [{ path: w.credentialsFile, kind: 'credentials' }],
          keysBefore: [key.accessKeyId],
        })
        .then(() => undefined),
    );
    const listed = await status(w);
    expect(listed.pendingRotations?.map((p) => p.phase)).toEqual(['intent']);
    await expect(readFile(journalEmptyPath(w.stateDir))).rejects.toThrow();
    // A record of another keychain says nothing about this one.
    await writeFile(
      journalEmptyPath(w.stateDir),
      JSON.stringify({
        version: 1,
        keychain: keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: `${w.keychainService}-other` }),
      }),
    );
    expect((await status(w)).pendingRotations).toHaveLength(1);
    await withJournal(w, (journal) => journal.finish(entryKey));
    expect((await status(w)).pendingRotations).toEqual([]);
    expect((await status(w, NO_BUS)).warnings).toEqual([]);
  });

  it('opens the keychain for a protected profile even with the record: its key is there', async () => {
    const { w, key } = await world('status-protected');
    const protect = await w.run(['protect', '--profile', 'p']);
    expect(protect.code, protect.stderr).toBe(0);
    expect((await status(w)).pendingRotations).toEqual([]);
    await readFile(journalEmptyPath(w.stateDir));
    const shown = await status(w);
    expect(shown.profiles[0]?.keyId).toBe(`${key.accessKeyId.slice(0, 4)}…${key.accessKeyId.slice(-4)}`);
    expect(shown.profiles[0]?.keys).toHaveLength(1);
    const noBus = await status(w, NO_BUS);
    expect(noBus.warnings.join('\n')).toContain(UNREADABLE);
    expect(noBus.profiles[0]?.keys).toBeNull();
  });
});
