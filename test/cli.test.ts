import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirSync } from './support/cleanup.js';
import { CLI_PATH, runCli } from './support/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: { keyrot: string };
};

describe('keyrot command line', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('lists every command of the contract in --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of [
      'status',
      'rotate-now',
      'daemon',
      'service',
      'backup',
      'emulator',
      'demo',
      'doctor',
      'tray',
    ]) {
      expect(result.stdout).toContain(command);
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['status', '--no-such-option'])).code).toBe(2);
  });

  it('runs the package bin (the CommonJS bundle of dist/cli.js)', () => {
    expect(CLI_PATH).toBe(fileURLToPath(new URL(`../${pkg.bin.keyrot}`, import.meta.url)));
  });

  it('maps an error from a lazily loaded command to its own exit code and message', async () => {
    // The bundle must use the very KeyrotError class the commands throw, not a bundled copy of it.
    const dir = tempDirSync('cli');
    const config = join(dir, 'config.ini');
    writeFileSync(config, 'notify = maybe\n');
    const env = { ...process.env, KEYROT_CONFIG: config };
    for (const entry of [CLI_PATH, fileURLToPath(new URL('../dist/cli.js', import.meta.url))]) {
      const result = await runCli(['rotate-now', '--profile', 'p'], { env, entry });
      expect(result.code, `${entry}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('notify');
      expect(result.stderr).toContain(config);
      expect(result.stderr).not.toContain('unexpected error');
    }
  });
});
