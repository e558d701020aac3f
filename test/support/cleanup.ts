// What a test file creates outside itself (temp directories, child processes, servers) is registered here
// and undone when the file ends, also when its tests failed: test/support/file-cleanup.ts runs the undos
// in an afterAll of every file. Tests that can free something sooner still do (afterEach, finally); the
// undos here are then no-ops.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

type Undo = () => unknown;
const undos: Undo[] = [];

/** Runs `undo` when this test file ends, passing or failing (the last registered runs first). */
export function atFileEnd(undo: Undo): void {
  undos.push(undo);
}

/** Runs every registered undo, newest first; one that fails does not stop the others. */
export async function undoAll(): Promise<void> {
  const errors: unknown[] = [];
  for (let undo = undos.pop(); undo; undo = undos.pop()) {
    try {
      await undo();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'cleaning up after the test file failed');
}

/** The name prefix of every temp entry keyrot's tests make (the run's leftover check looks for it too). */
export const TEMP_PREFIX = 'keyrot-';

/** A new private (0700) directory `keyrot-<label>-XXXXXX` in the temp dir, removed when the file ends. */
export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${TEMP_PREFIX}${label}-`));
  atFileEnd(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** tempDir, synchronously (for set-up code that cannot await). */
export function tempDirSync(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `${TEMP_PREFIX}${label}-`));
  atFileEnd(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Stops `child` when the file ends unless it has exited: SIGTERM, then SIGKILL after `graceMs`. */
export function stopAtFileEnd<T extends ChildProcess>(child: T, graceMs = 5_000): T {
  atFileEnd(() => stopProcess(child, graceMs));
  return child;
}

/** Stops `child` (SIGTERM, then SIGKILL after `graceMs`) and resolves once it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
