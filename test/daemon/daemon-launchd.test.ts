// `keyrot daemon --standby` as the launchd agent runs it (KEYROT_SERVICE=launchd), with invalid settings.
// launchd has no RestartPreventExitStatus: a KeepAlive agent exiting 2 is restarted every 30 s, forever.
// The built CLI, real processes and signals; no notification daemon (a failed notification is logged).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStateFile } from '../../src/state/state-file.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';

let dir: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keyrot-launchd-'));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

const BAD = '[profile dev]\nmax_age_dayz = 30\n';

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    KEYROT_CONFIG: path.join(dir, 'config.ini'),
    KEYROT_STATE_DIR: path.join(dir, 'state'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
    AWS_CONFIG_FILE: path.join(dir, 'config'),
    // No session bus: notifications fail (and are logged), nothing else changes.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir, 'no-bus')}`,
    ...extra,
  };
}

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('keyrot daemon under launchd with invalid settings', () => {
  it('elsewhere exits 2 at once (systemd and a person see the error)', async () => {
    await writeFile(path.join(dir, 'config.ini'), BAD);
    const result = await runCli(['daemon', '--standby'], { env: env(), timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('max_age_dayz');
  });

  it('stays up, says why (stderr, keyrot.log, state), and starts once the settings are fixed; SIGTERM ends it with 0', async () => {
    await writeFile(path.join(dir, 'config.ini'), BAD);
    child = spawn(process.execPath, [CLI_PATH, 'daemon', '--standby'], {
      env: env({ KEYROT_SERVICE: 'launchd' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    const stateDir = path.join(dir, 'state');
    await until('the state file says why the daemon does not check', async () =>
      Boolean((await readStateFile(stateDir).catch(() => null))?.idle),
    );
    const idle = (await readStateFile(stateDir))?.idle;
    expect(idle?.reason).toContain('invalid settings');
    expect(idle?.reason).toContain('max_age_dayz');
    expect(stderr).toContain("keyrot's settings are invalid: checking no key until they are fixed");
    expect(await readFile(path.join(stateDir, 'keyrot.log'), 'utf8')).toContain('max_age_dayz');
    expect(child.exitCode).toBeNull();
    // `keyrot service status` says it too (asked for macOS from here; launchctl itself is not here).
    const status = await runCli(['service', 'status', '--platform', 'darwin', '--dry-run'], {
      env: env(),
      timeoutMs: 60_000,
    });
    expect(status.stdout).toContain('not checking: invalid settings');

    // Fixed, then asked to look now (launchctl kill SIGHUP, or its next look at the file).
    await writeFile(path.join(dir, 'config.ini'), 'notify = false\n');
    child.kill('SIGHUP');
    await until('the daemon starts', () => {
      if (child?.exitCode !== null)
        throw new Error(`exited ${child?.exitCode} ${child?.signalCode}: ${stderr}`);
      return stderr.includes("keyrot's settings are valid again");
    });
    await until('the state file no longer says it is idle', async () => {
      const state = await readStateFile(stateDir).catch(() => null);
      return state !== null && !state.idle;
    });
    // The idle mark is cleared before the daemon takes its lock and its stop signals: SIGTERM once it runs.
    await until('the daemon runs', async () =>
      (await readFile(path.join(stateDir, 'keyrot.log'), 'utf8')).includes('daemon started'),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Under a service manager only warnings reach stderr (launchd's StandardErrorPath is never rotated).
    expect(stderr).not.toMatch(/^keyrot info:/m);
  });

  it('under a service manager writes only warnings and errors to stderr; keyrot.log keeps every line', async () => {
    await writeFile(path.join(dir, 'config.ini'), 'notify = false\n');
    const plain = await runCli(['daemon', '--once'], { env: env(), timeoutMs: 60_000 });
    expect(plain.stderr).toMatch(/^keyrot info:/m);
    const managed = await runCli(['daemon', '--once'], {
      env: env({ KEYROT_SERVICE: 'launchd' }),
      timeoutMs: 60_000,
    });
    expect(managed.stderr).not.toMatch(/^keyrot (info|debug):/m);
    const log = await readFile(path.join(dir, 'state', 'keyrot.log'), 'utf8');
    expect(log.split('\n').filter((line) => line.includes('"level":"info"')).length).toBeGreaterThan(
      plain.stderr.split('\n').filter((line) => line.startsWith('keyrot info:')).length,
    );
  });
});
