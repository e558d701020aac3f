// The after_rotate hook runs through the real /bin/sh: it must end when the shell exits (not when a
// background job closes the pipes), and a timeout must end everything it started, not only the shell.
import type { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { shellHook } from '../../src/rotation/hook.js';
import { tempDir } from '../support/cleanup.js';
import { killAll, liveInGroup, liveProcesses } from '../support/processes.js';

describe('shellHook on POSIX', () => {
  let dir: string;
  const leftovers: number[] = [];
  beforeEach(async () => {
    dir = await tempDir('hook');
  });
  afterEach(async () => {
    killAll(leftovers.splice(0));
  });

  it('passes the key in the environment, drops ambient AWS credentials, and returns exit code and output', async () => {
    const hook = shellHook({ env: { PATH: process.env.PATH, AWS_SESSION_TOKEN: 'ambient', KEEP: 'k' } });
    const run = await hook.run('echo "$AWS_ACCESS_KEY_ID/$AWS_SESSION_TOKEN/$KEEP"; exit 3', {
      AWS_ACCESS_KEY_ID: 'AKIANEW',
    });
    expect(run).toMatchObject({ exitCode: 3, output: 'AKIANEW//k\n', timedOut: false });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('finishes when the hook exits, leaving a background job it started running (`sleep 15 &`)', async () => {
    const pidFile = join(dir, 'bg.pid');
    const run = await shellHook({ env: process.env }).run(`sleep 15 & echo $! > ${pidFile}`, {});
    const background = Number(await readFile(pidFile, 'utf8'));
    leftovers.push(background);
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    // The hook resolved while its background job, holding the pipes open, still ran.
    expect(liveProcesses().map((p) => p.pid)).toContain(background);
  });

  it('on timeout kills the whole process group, not only the shell (`sleep 400; true`)', async () => {
    const pgidFile = join(dir, 'pgid');
    const hook = shellHook({ env: process.env, timeoutMs: 300, graceMs: 10_000 });
    const run = await hook.run(`echo $$ > ${pgidFile}; sleep 400; true`, {});
    const pgid = Number(await readFile(pgidFile, 'utf8'));
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).toBe(-1);
    expect(run.durationMs).toBeGreaterThanOrEqual(300);
    expect(liveInGroup(pgid)).toEqual([]);
  });

  it('sends SIGKILL after the grace to a group that ignores SIGTERM', async () => {
    const pgidFile = join(dir, 'pgid');
    const hook = shellHook({ env: process.env, timeoutMs: 200, graceMs: 300 });
    const run = await hook.run(`trap '' TERM; echo $$ > ${pgidFile}; sleep 400; true`, {});
    const pgid = Number(await readFile(pgidFile, 'utf8'));
    expect(run.timedOut).toBe(true);
    expect(liveInGroup(pgid)).toEqual([]);
  });
});

describe('shellHook on Windows (injected platform)', () => {
  /** A spawn that records its calls and returns a child that exits when told to. */
  function fakeSpawn() {
    const calls: { command: string; args: readonly string[]; options: Record<string, unknown> }[] = [];
    const children: (EventEmitter & { pid: number; stdout: PassThrough; stderr: PassThrough })[] = [];
    const fake = ((command: string, argsOrOptions: unknown, maybeOptions?: unknown) => {
      const args = Array.isArray(argsOrOptions) ? (argsOrOptions as string[]) : [];
      const options = (Array.isArray(argsOrOptions) ? maybeOptions : argsOrOptions) as Record<
        string,
        unknown
      >;
      calls.push({ command, args, options });
      const child = Object.assign(new EventEmitter(), {
        pid: 4000 + calls.length,
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        kill: () => true,
      });
      children.push(child);
      return child;
    }) as unknown as typeof spawn;
    return { fake, calls, children };
  }

  it("runs the command through the platform's shell, without a window, and not detached", async () => {
    const { fake, calls, children } = fakeSpawn();
    const running = shellHook({ env: {}, platform: 'win32', spawn: fake }).run('update-secret.cmd', {
      AWS_ACCESS_KEY_ID: 'AKIANEW',
    });
    children[0]!.stdout.end('done\r\n');
    children[0]!.stderr.end();
    children[0]!.emit('exit', 0, null);
    expect(await running).toMatchObject({ exitCode: 0, output: 'done\r\n', timedOut: false });
    expect(calls[0]!.command).toBe('update-secret.cmd');
    expect(calls[0]!.options).toMatchObject({ shell: true, windowsHide: true, detached: false });
    expect(calls[0]!.options.env).toMatchObject({ AWS_ACCESS_KEY_ID: 'AKIANEW' });
  });

  it('on timeout ends the process tree with taskkill /T /F', async () => {
    const { fake, calls, children } = fakeSpawn();
    const running = shellHook({ env: {}, platform: 'win32', spawn: fake, timeoutMs: 50 }).run('x', {});
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]).toMatchObject({ command: 'taskkill', args: ['/pid', '4001', '/T', '/F'] });
    expect(calls[1]!.options).toMatchObject({ windowsHide: true });
    children[1]!.emit('exit', 0, null);
    children[0]!.emit('exit', 1, null);
    expect(await running).toMatchObject({ timedOut: true, exitCode: 1 });
  });
});
