// The tray's pause marker under POSIX and under Windows file rules (test/fs/file-worlds.ts).
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearPause, pauseFilePath, readPauseUntil, writePauseUntil } from '../../src/state/pause-file.js';
import { FILE_WORLDS, type FileWorld, releaseAfter } from '../fs/file-worlds.js';

const NOW = new Date('2026-11-25T19:00:00Z');

describe.each(FILE_WORLDS)('pause marker under %s', (_name, makeWorld) => {
  let world: FileWorld;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });
  const deps = () => ({ fs: world.fs });

  it('writes one ISO line, 0600, in a 0700 state dir, and reads it back while in the future', async () => {
    const stateDir = path.join(world.root, 'state');
    const until = new Date(NOW.getTime() + 3_600_000);
    await writePauseUntil(stateDir, until, deps());
    expect(world.readText(pauseFilePath(stateDir))).toBe('2026-11-25T20:00:00.000Z\n');
    if (world.rules === 'posix') {
      expect(world.mode(pauseFilePath(stateDir))).toBe(0o600);
      expect(world.mode(stateDir)).toBe(0o700);
    }
    expect(await readPauseUntil(stateDir, NOW, deps())).toEqual(until);
    expect(await readPauseUntil(stateDir, until, deps())).toBeNull();
    expect(world.list(stateDir)).toEqual(['pause-until']);
  });

  it('treats a missing or garbled marker as not paused, and clearing twice is fine', async () => {
    const stateDir = world.root;
    expect(await readPauseUntil(stateDir, NOW, deps())).toBeNull();
    await world.fs.writeFile(pauseFilePath(stateDir), 'soon\n');
    expect(await readPauseUntil(stateDir, NOW, deps())).toBeNull();
    await clearPause(stateDir, deps());
    await clearPause(stateDir, deps());
    expect(world.list(stateDir)).toEqual([]);
  });

  it('pauses and resumes while the daemon holds the marker open for a moment', async () => {
    const stateDir = world.root;
    await writePauseUntil(stateDir, new Date(NOW.getTime() + 1000), deps());
    let release = world.hold(pauseFilePath(stateDir));
    const pausing = writePauseUntil(stateDir, new Date(NOW.getTime() + 3_600_000), deps());
    await releaseAfter(release, 60);
    await pausing;
    expect(world.readText(pauseFilePath(stateDir))).toBe('2026-11-25T20:00:00.000Z\n');
    release = world.hold(pauseFilePath(stateDir));
    const resuming = clearPause(stateDir, deps());
    await releaseAfter(release, 60);
    await resuming;
    expect(world.list(stateDir)).toEqual([]);
  });
});
