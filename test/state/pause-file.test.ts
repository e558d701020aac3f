import { mkdtempSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearPause, pauseFilePath, readPauseUntil, writePauseUntil } from '../../src/state/pause-file.js';

const NOW = new Date('2026-11-25T19:00:00Z');

describe('pause marker', () => {
  it('writes one ISO line, 0600, in a 0700 state dir, and reads it back while in the future', async () => {
    const stateDir = path.join(mkdtempSync(path.join(tmpdir(), 'keyrot-pause-')), 'state');
    const until = new Date(NOW.getTime() + 3_600_000);
    await writePauseUntil(stateDir, until);
    expect(await fs.readFile(pauseFilePath(stateDir), 'utf8')).toBe('2026-11-25T20:00:00.000Z\n');
    expect((await fs.stat(pauseFilePath(stateDir))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(stateDir)).mode & 0o777).toBe(0o700);
    expect(await readPauseUntil(stateDir, NOW)).toEqual(until);
    expect(await readPauseUntil(stateDir, until)).toBeNull();
    expect(await fs.readdir(stateDir)).toEqual(['pause-until']);
  });

  it('treats a missing or garbled marker as not paused, and clearing twice is fine', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'keyrot-pause-'));
    expect(await readPauseUntil(stateDir, NOW)).toBeNull();
    await fs.writeFile(pauseFilePath(stateDir), 'soon\n');
    expect(await readPauseUntil(stateDir, NOW)).toBeNull();
    await clearPause(stateDir);
    await clearPause(stateDir);
    expect(await fs.readdir(stateDir)).toEqual([]);
  });
});
