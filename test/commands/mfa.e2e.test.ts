// MFA as a person meets it: IAM requires MFA but the profile names no mfa_serial (what `keyrot emulator
// seed --mfa` sets up). keyrot finds the device with ListMFADevices, asks for exactly one code on a
// terminal (the emulator, like AWS, accepts each code once), and says to add mfa_serial.
import { writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { totpCode } from '../../src/emulator/index.js';
import { runOnPty } from '../support/pty.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH } from '../support/run-cli.js';
import { suiteWorlds } from './harness.js';

const suite = describeWith('secretService', 'pty');

suite('MFA without mfa_serial', { concurrent: true }, () => {
  const { secrets, seededWorld } = suiteWorlds();
  const rotateOnPty = (
    w: Awaited<ReturnType<typeof seededWorld>>['w'],
    answers: { after: string; type: string }[],
  ) => runOnPty([process.execPath, CLI_PATH, 'rotate-now', '--profile', 'p'], { env: w.env, answers });

  it('one device: exit 5 off a terminal naming it; on a terminal, exactly one code, then the mfa_serial to add', async () => {
    const { w, seeded } = await seededWorld('mfa-one', { mfa: true });
    const device = seeded.mfa!;
    const offTerminal = await w.run(['rotate-now', '--profile', 'p']);
    expect(offTerminal.code, offTerminal.stderr).toBe(5);
    expect(offTerminal.stderr).toContain('IAM requires an MFA code to change keys');
    expect(offTerminal.stderr).toContain(`type the code of ${device.serial}`);
    expect(offTerminal.stderr).toContain(
      `add \`mfa_serial = ${device.serial}\` to [profile p] in ${w.configFile}`,
    );

    const result = await rotateOnPty(w, [
      { after: `MFA code for profile p (${device.serial}):`, type: totpCode(device.secretBase32) },
    ]);
    w.captures.push(result.text);
    expect(result.code, result.text).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    expect(result.text.split('MFA code for profile').length - 1).toBe(1);
    expect(result.text).toMatch(/profile p: rotated AKIA…\w{4} → AKIA…\w{4}/);
    expect(result.text).toContain(`add \`mfa_serial = ${device.serial}\` to [profile p]`);
  });

  it('several devices: exit 5 listing them; on a terminal, asks which, then the code of a hardware token', async () => {
    const { w, seeded } = await seededWorld('mfa-two', { mfaDevices: ['virtual', 'hardware'] });
    const [virtual, hardware] = seeded.mfaDevices!;
    const offTerminal = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(offTerminal.code, offTerminal.stderr).toBe(5);
    const failure = JSON.parse(offTerminal.stdout).profiles[0];
    expect(failure.error.code).toBe('MFA_REQUIRED');
    expect(failure.error.hint).toContain(
      `The user has 2 MFA devices (${virtual!.serial}, ${hardware!.serial})`,
    );

    const result = await rotateOnPty(w, [
      { after: 'Which one (1-2)?', type: '2' },
      { after: `MFA code for profile p (${hardware!.serial}):`, type: totpCode(hardware!.secretBase32) },
    ]);
    w.captures.push(result.text);
    expect(result.code, result.text).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    expect(result.text).toContain(`1) ${virtual!.serial}`);
    expect(result.text.split('MFA code for profile').length - 1).toBe(1);
    expect(result.text).toContain(`add \`mfa_serial = ${hardware!.serial}\``);
  });

  it('a configured hardware-token serial (not an ARN) is used as it is, with one code', async () => {
    const { w, seeded } = await seededWorld('mfa-hw', { mfaDevices: ['hardware'] });
    const token = seeded.mfa!;
    await writeFile(w.configFile, `[profile p]\nmfa_serial = ${token.serial}\n`);
    const result = await rotateOnPty(w, [
      { after: `MFA code for profile p (${token.serial}):`, type: totpCode(token.secretBase32) },
    ]);
    w.captures.push(result.text);
    expect(result.code, result.text).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    expect(result.text.split('MFA code for profile').length - 1).toBe(1);
    expect(result.text).not.toContain('mfa_serial =');
  });
});
