import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

describe('daemon state file', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keyrot-state-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads null when no daemon has written it yet', async () => {
    expect(await readStateFile(path.join(root, 'none'))).toBeNull();
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
    await writeStateFile(stateDir, state);
    expect(await readStateFile(stateDir)).toEqual(state);
    expect((await stat(stateFilePath(stateDir))).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect(await readFile(stateFilePath(stateDir), 'utf8')).toContain('"version": 1');
  });

  it('fills defaults for fields an older writer left out and keeps unknown ones', async () => {
    await writeFile(stateFilePath(root), JSON.stringify({ version: 1, extra: 'x', profiles: { a: {} } }));
    const state = await readStateFile(root);
    expect(state?.profiles.a?.failures).toBe(0);
    expect((state as Record<string, unknown>).extra).toBe('x');
  });

  it('reports a corrupt file as FILE_INVALID naming the file', async () => {
    await writeFile(stateFilePath(root), '{"version": 1, "lastCheck": "soon"}');
    const error = await readStateFile(root).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'FILE_INVALID')).toBe(true);
    expect((error as { file: string }).file).toBe(stateFilePath(root));
    expect((error as Error).message).toContain('lastCheck');
  });
});
