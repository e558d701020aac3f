// A warning from the rewrite (the credentials file was readable by others and is written back 0600)
// reaches the person running rotate-now, in text and in --json, through the built CLI.
import { chmod, rm, stat } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import {
  createWorld,
  expectNoSecretLeft,
  fileKey,
  profileBlock,
  secretServiceSuite,
  type World,
  writeCredentials,
} from './harness.js';

secretServiceSuite('rotate-now shows the rewrite warnings', { concurrent: true }, () => {
  let emulator: RunningEmulator;
  const worlds: World[] = [];
  const secrets: string[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await expectNoSecretLeft(worlds, secrets);
    await emulator?.close();
    await Promise.all(worlds.map((w) => rm(w.home, { recursive: true, force: true })));
  });

  /** A world whose credentials file (profile p, a 100-day-old key) is mode 0644. */
  const looseWorld = async (user: string) => {
    const w = await createWorld({ emulator });
    worlds.push(w);
    const seeded = await w.seed(user, { keyAgeDays: 100 });
    secrets.push(seeded.keys[0]!.secretAccessKey);
    await writeCredentials(w, profileBlock('p', seeded.keys[0]!));
    await chmod(w.credentialsFile, 0o644);
    return w;
  };
  const warning = 'was readable by others (mode 0644); keyrot wrote it back as 0600';

  it('in text: on stderr', async () => {
    const w = await looseWorld('loose-text');
    const result = await w.run(['rotate-now', '--profile', 'p']);
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await fileKey(w)).secretAccessKey);
    expect(result.stderr).toContain(`${w.credentialsFile} ${warning}`);
    expect((await stat(w.credentialsFile)).mode & 0o777).toBe(0o600);
  });

  it('in --json: in the profile document', async () => {
    const w = await looseWorld('loose-json');
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await fileKey(w)).secretAccessKey);
    const doc = JSON.parse(result.stdout).profiles[0];
    expect(doc.warnings).toEqual([`${w.credentialsFile} ${warning}.`]);
  });
});
