import { type SpawnOptions, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GlobalOptions } from '../../src/commands/context.js';
import { describeRun, globalArgs, rotatedKeys, runRotateNow } from '../../src/tray/rotate-runner.js';
import { tempDir } from '../support/cleanup.js';

describe('runRotateNow', () => {
  it('runs the CLI as a hidden child process (no console window on Windows) and reads its answer', async () => {
    const dir = await tempDir('runner');
    try {
      // Stands in for dist/cli.js: answers like `rotate-now --json`.
      const cli = path.join(dir, 'cli.mjs');
      await writeFile(
        cli,
        `process.stdout.write(JSON.stringify({ profiles: [{ profile: 'dev', outcome: 'rotated', oldKeyId: 'AKIAOLDOLDOLDOLD1234', newKeyId: 'AKIANEWNEWNEWNEW5678' }] }));\n`,
      );
      const seen: (SpawnOptions | undefined)[] = [];
      const recordingSpawn = ((command: string, args: string[], options?: SpawnOptions) => {
        seen.push(options);
        return spawn(command, args, options ?? {});
      }) as typeof spawn;
      const run = await runRotateNow({
        profile: 'dev',
        globals: {},
        env: process.env,
        cliPath: cli,
        spawn: recordingSpawn,
      });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ windowsHide: true });
      expect(run).toMatchObject({ ok: true, exitCode: 0, message: 'rotated AKIA…1234 → AKIA…5678' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('describeRun', () => {
  it('names the keys of a rotation, masked, from rotate-now --json', () => {
    const json = JSON.stringify({
      results: [
        { profile: 'dev', outcome: 'rotated', oldKeyId: 'AKIAOLDOLDOLDOLD1234', newKeyId: 'AKIA…5678' },
      ],
    });
    expect(describeRun('dev', 0, json, [])).toBe('rotated AKIA…1234 → AKIA…5678');
    expect(describeRun('dev', 0, 'not json', [])).toBe('rotated');
    expect(rotatedKeys(json, 'dev')).toEqual({
      oldKeyId: 'AKIA…1234',
      newKeyId: 'AKIA…5678',
      oldKeyAction: 'kept',
    });
    expect(rotatedKeys(json, 'prod')).toBeUndefined();
  });

  it('carries the end of the old key grace window (old_key_active_hours) for the notification', () => {
    const until = '2026-12-02T09:30:00.000Z';
    const json = JSON.stringify({
      profiles: [
        {
          profile: 'dev',
          outcome: 'rotated',
          oldKeyId: 'AKIA…1234',
          newKeyId: 'AKIA…5678',
          oldKeyAction: 'kept-active',
          oldKeyWindow: { keyId: 'AKIA…1234', until, state: 'open' },
        },
      ],
    });
    expect(rotatedKeys(json, 'dev')).toEqual({
      oldKeyId: 'AKIA…1234',
      newKeyId: 'AKIA…5678',
      oldKeyAction: 'kept-active',
      oldKeyActiveUntil: until,
    });
  });

  it("words a failure by its exit code and the CLI's own error line", () => {
    expect(describeRun('dev', 5, '', ['MFA code required for profile dev'])).toBe(
      'needs you: MFA code required for profile dev',
    );
    expect(describeRun('dev', 4, '', [])).toBe('another rotation is running (exit code 4)');
    expect(describeRun('dev', 3, '', ['the user has another active key'])).toBe(
      'refused: the user has another active key',
    );
    expect(describeRun('dev', 1, '', [])).toBe('failed (exit code 1)');
  });
});

describe('globalArgs', () => {
  it('passes the files and endpoint the tray itself was given', () => {
    expect(
      globalArgs({
        credentialsFile: '/c',
        config: '/k.ini',
        endpointUrl: 'http://127.0.0.1:1',
      }),
    ).toEqual(['--credentials-file', '/c', '--config', '/k.ini', '--endpoint-url', 'http://127.0.0.1:1']);
    // The tray is handed the command's global options: --verbose is not one to pass on.
    const globals: GlobalOptions = { verbose: true };
    expect(globalArgs(globals)).toEqual([]);
  });
});
