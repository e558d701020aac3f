// Rotations once backups_keep is reached, with the real Secret Service (scripts/test-session.sh) read
// afterwards by secret-tool and the emulator over HTTP: `keyrot rotate-now` as a subprocess deletes the
// content of the backup it prunes before it exits, and the daemon's pass (in this process, with the real
// rotation wiring, its keychain open for the whole pass) deletes it without waiting for the pass's end.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { worldRotationChecker } from '../support/daemon-world.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock, type World } from '../support/world.js';

const suite = describeWith('secretService', 'builtCli');

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

/** The ids `keyrot backup list` shows, newest first. */
async function listedBackups(w: World): Promise<string[]> {
  const listed = await w.run(['backup', 'list', '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { backups: { id: string }[] }).backups.map((b) => b.id);
}

suite('pruning a backup once backups_keep is reached', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  it('keyrot rotate-now deletes the pruned backup’s content before it exits and lists only the kept one', async () => {
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
    expect(await listedBackups(w)).toEqual([ids[1]]);
  });

  it('the daemon’s pass deletes it while its keychain stays open, before the pass ends', async () => {
    const w = await createWorld({ label: 'prune-daemon', emulator });
    const [p, q] = [
      await w.seed('prune-p', { keyAgeDays: 120 }),
      await w.seed('prune-q', { keyAgeDays: 120 }),
    ];
    await w.writeCredentials(profileBlock('p', p.keys[0]!) + profileBlock('q', q.keys[0]!));
    await w.writeKeyrotConfig('backups_keep = 1\nnotify = false\n');
    const checker = await worldRotationChecker(w);
    try {
      // Both profiles are in the credentials file: q's rotation backs it up again and prunes p's backup.
      expect((await checker.check('p')).kind).toBe('rotated');
      const [pruned] = await listedBackups(w);
      expect((await checker.check('q')).kind).toBe('rotated');
      const kept = await listedBackups(w);
      expect(kept).toHaveLength(1);
      expect(kept).not.toContain(pruned);
      // The pass keeps its keychain open (closed by afterPass): the deletion must not wait for that.
      const deadline = Date.now() + 10_000;
      while (accounts(w.keychainService, w.env).some((a) => a.includes(pruned!)) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(accounts(w.keychainService, w.env).filter((a) => a.includes(pruned!))).toEqual([]);
      expect(accounts(w.keychainService, w.env)).toContain(`h/backup:${kept[0]}`);
    } finally {
      await checker.afterPass();
    }
  });
});
