// `keyrot rotate-now` once backups_keep is reached: the built CLI as a subprocess, the emulator over HTTP
// and the real Secret Service (scripts/test-session.sh), read afterwards with secret-tool. The content of
// the backup a rotation prunes is deleted before that rotation's process exits.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock } from '../support/world.js';

const suite = describeWith('secretService');

/** The accounts (`username` attribute) of every item of `service`, by secret-tool (an independent reader). */
function accounts(service: string, env: NodeJS.ProcessEnv): string[] {
  // secret-tool prints each item's attributes on stderr.
  const { stdout, stderr, status } = spawnSync('secret-tool', ['search', '--all', 'service', service], {
    encoding: 'utf8',
    env,
  });
  if (status !== 0) throw new Error(`secret-tool search exited ${status}: ${stderr}`);
  return [...`${stdout}\n${stderr}`.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1]!);
}

suite('keyrot rotate-now pruning a backup', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  it('deletes the pruned backup’s content before it exits, and lists only the kept backup', async () => {
    const w = await createWorld({ label: 'prune', emulator });
    const user = await w.seed('prune', { keyAgeDays: 120 });
    await w.writeCredentials(profileBlock('p', user.keys[0]!));
    await w.writeKeyrotConfig('backups_keep = 1\nnotify = false\n');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const result = await w.run(['rotate-now', '--profile', 'p', '--force', '--json']);
      expect(result.code, result.stderr).toBe(0);
      ids.push((JSON.parse(result.stdout) as { profiles: { backupId: string }[] }).profiles[0]!.backupId);
    }
    // The second run pruned the first backup: by its exit the content is gone from the keyring.
    const left = accounts(w.keychainService, w.env);
    expect(left).toContain(`h/backup:${ids[1]}`);
    expect(left.filter((account) => account.includes(ids[0]!))).toEqual([]);
    const listed = await w.run(['backup', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { backups: { id: string }[] }).backups.map((b) => b.id)).toEqual([
      ids[1],
    ]);
  });
});
