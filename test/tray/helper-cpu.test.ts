// systray2's macOS helper is x86_64 only: on an Apple silicon Mac without Rosetta 2 the tray cannot start.
// `keyrot tray` must say why and how to fix it, and under launchd must not be restarted every 30 s.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/commands/context.js';
import { trayCommand } from '../../src/commands/tray.js';
import type { Notification } from '../../src/notify/notifier.js';
import type { RunProgram } from '../../src/platform/mac-cpu.js';
import { trayHelperCannotRun } from '../../src/tray/helper-binary.js';

/** A Mac as sysctl and arch answer on it. */
const mac =
  (appleSilicon: boolean, rosetta: boolean): RunProgram =>
  async (command, args) => {
    if (command.endsWith('sysctl')) {
      return { code: 0, stdout: args[1] === 'hw.optional.arm64' && appleSilicon ? '1\n' : '0\n' };
    }
    return { code: rosetta ? 0 : 1, stdout: '' };
  };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keyrot-tray-cpu-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(extra: NodeJS.ProcessEnv = {}): { ctx: CommandContext; err: () => string } {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return {
    ctx: {
      globals: { verbose: false },
      io: {
        stdout: new PassThrough(),
        stderr,
        stdin: new PassThrough(),
        isTTY: false,
        env: { HOME: dir, KEYROT_STATE_DIR: path.join(dir, 'state'), ...extra },
      },
    },
    err: () => text,
  };
}

describe('the tray helper on a Mac', () => {
  it('reads the shipped helper as runnable on Intel and with Rosetta 2, not on bare Apple silicon', async () => {
    expect(await trayHelperCannotRun({ platform: 'darwin', run: mac(false, false) })).toBeNull();
    expect(await trayHelperCannotRun({ platform: 'darwin', run: mac(true, true) })).toBeNull();
    expect(await trayHelperCannotRun({ platform: 'darwin', run: mac(true, false) })).toBe(
      'it is built for x86_64 only, and this Mac has Apple silicon and Rosetta 2 is not installed',
    );
    expect(await trayHelperCannotRun({ platform: 'linux', run: mac(true, false) })).toBeNull();
  });

  it('run by a person: TRAY_UNAVAILABLE with the reason and the fix (softwareupdate --install-rosetta)', async () => {
    const { ctx } = context();
    const error = await trayCommand({}, ctx, { platform: 'darwin', run: mac(true, false) }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TRAY_UNAVAILABLE' });
    expect((error as Error).message).toContain(
      "its helper program (systray2's tray_darwin_release) it is built for x86_64 only",
    );
    expect((error as { hint: string }).hint).toContain('softwareupdate --install-rosetta --agree-to-license');
  });

  it('under launchd: says why once (stderr, keyrot.log, a notification) and exits 0, so launchd does not restart it', async () => {
    const { ctx, err } = context({ KEYROT_SERVICE: 'launchd' });
    const shown: Notification[] = [];
    const code = await trayCommand({}, ctx, {
      platform: 'darwin',
      run: mac(true, false),
      notifier: { notify: async (notification) => void shown.push(notification) },
    });
    expect(code).toBe(0);
    expect(err()).toContain('cannot show a tray icon');
    expect(await readFile(path.join(dir, 'state', 'keyrot.log'), 'utf8')).toContain('Rosetta 2');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.body).toContain('softwareupdate --install-rosetta');
  });
});
