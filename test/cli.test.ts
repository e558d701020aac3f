import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
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
});
