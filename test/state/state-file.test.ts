// The state file under POSIX and under Windows file rules (test/fs/file-worlds.ts): the daemon writes it
// while the tray and `status` read it, and on Windows a reader's open handle refuses the rename over it.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import {
  emptyProfileState,
  emptyState,
  readStateFile,
  stateFilePath,
  writeStateFile,
} from '../../src/state/state-file.js';
import { FILE_WORLDS, type FileWorld, releaseAfter } from '../fs/file-worlds.js';

describe.each(FILE_WORLDS)('daemon state file under %s', (_name, makeWorld) => {
  let world: FileWorld;
  let root: string;
  beforeEach(async () => {
    world = await makeWorld();
    root = world.root;
  });
  afterEach(async () => {
    await world.dispose();
  });
  const deps = () => ({ fs: world.fs });

  it('reads null when no daemon has written it yet', async () => {
    expect(await readStateFile(path.join(root, 'none'), deps())).toBeNull();
  });

  it('round-trips through a 0600 file in a 0700 directory it creates', async () => {
    const stateDir = path.join(root, 'state', 'keyrot');
    const state = emptyState();
    state.pid = 1234;
    state.lastCheck = '2026-11-25T10:00:00.000Z';
    state.profiles.dev = {
      ...emptyProfileState(),
      keyId: 'AKIA…WXYZ',
      ageDays: 12,
      lastResult: { at: '2026-11-25T10:00:00.000Z', outcome: 'not-due', message: 'key is 12 days old' },
    };
    await writeStateFile(stateDir, state, deps());
    expect(await readStateFile(stateDir, deps())).toEqual(state);
    if (world.rules === 'posix') {
      expect(world.mode(stateFilePath(stateDir))).toBe(0o600);
      expect(world.mode(stateDir)).toBe(0o700);
    }
    expect(world.readText(stateFilePath(stateDir))).toContain('"version": 1');
  });

  it('is rewritten while a reader (the tray, `status`) holds it open for a moment', async () => {
    const first = emptyState();
    await writeStateFile(root, first, deps());
    const next = { ...emptyState(), lastCheck: '2026-11-25T10:00:00.000Z' };
    const release = world.hold(stateFilePath(root));
    const writing = writeStateFile(root, next, deps());
    await releaseAfter(release, 60);
    await writing;
    expect(await readStateFile(root, deps())).toEqual(next);
    expect(world.list(root)).toEqual(['state.json']);
  });

  it('fills defaults for fields an older writer left out and keeps unknown ones', async () => {
    await world.fs.writeFile(
      stateFilePath(root),
      JSON.stringify({ version: 1, extra: 'x', profiles: { a: {} } }),
    );
    const state = await readStateFile(root, deps());
    expect(state?.profiles.a?.failures).toBe(0);
    expect((state as unknown as Record<string, unknown>).extra).toBe('x');
  });

  it('reports a corrupt file as FILE_INVALID naming the file', async () => {
    await world.fs.writeFile(stateFilePath(root), '{"version": 1, "lastCheck": "soon"}');
    const error = await readStateFile(root, deps()).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'FILE_INVALID')).toBe(true);
    expect((error as { file: string }).file).toBe(stateFilePath(root));
    expect((error as Error).message).toContain('lastCheck');
  });
});
