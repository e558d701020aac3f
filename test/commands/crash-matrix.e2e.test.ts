// The crash matrix: `kill -9` the rotating CLI at 20 evenly spaced instants of a ~2 s rotation (emulator
// latency), then run it again; docs/rotation-protocol.md's invariants hold after the kill and after the re-run.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { CLI_PATH } from '../support/run-cli.js';
import {
  checkInvariants,
  createWorld,
  expectNoSecretLeft,
  fileKey,
  profileBlock,
  secretServiceSuite,
  type World,
  writeCredentials,
} from './harness.js';

const suite = secretServiceSuite;
const INSTANTS = 20;
const BATCH = 4;
/** Longest one CLI run may take (generous: a loaded 2-core CI machine is slow). */
const RUN_LIMIT_MS = 120_000;

suite('crash matrix: kill -9 at 20 instants of a rotation, then re-run', () => {
  let emulator: RunningEmulator;
  const worlds: World[] = [];
  const secrets: string[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, latencyMs: 300 });
  });
  afterAll(async () => {
    await expectNoSecretLeft(worlds, secrets);
    await emulator?.close();
  });

  async function prepare(name: string) {
    const w = await createWorld({ emulator });
    worlds.push(w);
    const user = await w.seed(name, { keyAgeDays: 120 });
    const old = user.keys[0]!;
    secrets.push(old.secretAccessKey);
    const template = `# crash test\n${profileBlock('p', old)}\n[q]\nregion = eu-west-1\n`;
    await writeCredentials(w, template);
    return { w, user, old, template };
  }

  /** Runs rotate-now and kills it with SIGKILL after `afterMs` (never, when undefined). */
  function rotate(
    w: World,
    afterMs?: number,
  ): Promise<{ code: number | null; signal: string | null; ms: number; output: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, [CLI_PATH, 'rotate-now', '--profile', 'p', '--json'], {
        env: w.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const timer = afterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), afterMs);
      // A run that never ends must fail with its output, not time the whole test out in silence.
      const guard = setTimeout(() => {
        output += `\n(test: no exit after ${RUN_LIMIT_MS} ms; killed)`;
        child.kill('SIGKILL');
      }, RUN_LIMIT_MS);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(guard);
        w.captures.push(output);
        resolve({ code, signal, ms: Date.now() - started, output });
      });
    });
  }

  it('keeps the invariants at every instant', async () => {
    // Calibrate: one whole rotation, start to exit.
    const probe = await prepare('crash-probe');
    const whole = await rotate(probe.w);
    expect(whole.code, `calibration run: ${whole.output}`).toBe(0);
    secrets.push((await fileKey(probe.w)).secretAccessKey);
    expect(whole.ms).toBeGreaterThan(1_200);
    const instants = Array.from({ length: INSTANTS }, (_, i) =>
      Math.round((whole.ms * (i + 0.5)) / INSTANTS),
    );
    const outcomes: string[] = [];
    for (let start = 0; start < INSTANTS; start += BATCH) {
      await Promise.all(
        instants.slice(start, start + BATCH).map(async (at, j) => {
          const { w, user, old, template } = await prepare(`crash-${start + j}`);
          const killed = await rotate(w, at);
          outcomes.push(`${at} ms: ${killed.signal ?? `exit ${killed.code}`}`);
          // Right after the kill: the file is whole and works; an unheld key may wait for the re-run only.
          await checkInvariants(w, user.user, old, { template, finished: false, allowUnheld: true });
          const rerun = await rotate(w);
          expect(rerun.code, `re-run after a kill at ${at} ms: ${rerun.output}`).toBe(0);
          await checkInvariants(w, user.user, old, { template, finished: true });
          secrets.push((await fileKey(w)).secretAccessKey);
        }),
      );
    }
    // Most instants must actually have interrupted the rotation.
    expect(outcomes.filter((o) => o.includes('SIGKILL')).length).toBeGreaterThanOrEqual(INSTANTS - 2);
  }, 600_000);
});
