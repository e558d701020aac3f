// `keyrot service` through the built CLI, for what needs no service manager.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';

let home: string;

/** Every file and directory under `dir`, but Node's compile cache (Node 22.8+ keeps it for any keyrot run). */
async function writtenUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  const cache = path.join('.cache', 'keyrot');
  return entries.filter(
    (entry) => entry !== '.cache' && entry !== cache && !entry.startsWith(`${cache}${path.sep}`),
  );
}
beforeAll(async () => {
  home = await tempDir('service-cli');
});

describe.skipIf(!existsSync(CLI_PATH))('keyrot service (built CLI)', () => {
  const env = () => ({ HOME: home, PATH: process.env.PATH ?? '/usr/bin', USER: 'ann' });

  it('--dry-run prints the files and commands for another OS and touches nothing', async () => {
    const result = await runCli(['service', 'install', '--dry-run', '--platform', 'darwin', '--with-tray'], {
      env: env(),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nothing is written or run');
    expect(result.stdout).toContain(`--- ${home}/Library/LaunchAgents/io.keyrot.daemon.plist`);
    expect(result.stdout).toContain('<key>RunAtLoad</key>');
    expect(result.stdout).toMatch(/run launchctl bootstrap gui\/\d+ .*io\.keyrot\.tray\.plist/);
    expect(await writtenUnder(home)).toEqual([]);
  });

  it('--dry-run masks the password of a proxy URL it carries into the unit', async () => {
    const result = await runCli(['service', 'install', '--dry-run', '--platform', 'linux'], {
      env: { ...env(), HTTPS_PROXY: 'http://user:password@proxy.corp:3128' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('HTTPS_PROXY=http://user:***@proxy.corp:3128');
    expect(result.stdout).not.toContain('password');
  });

  it('refuses to install for another OS without --dry-run, and rejects an unknown action', async () => {
    const other = process.platform === 'darwin' ? 'linux' : 'darwin';
    const wrongOs = await runCli(['service', 'install', '--platform', other], { env: env() });
    expect(wrongOs.code).toBe(2);
    expect(wrongOs.stderr).toContain('--dry-run');
    const unknown = await runCli(['service', 'restart'], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('install');
  });
});
