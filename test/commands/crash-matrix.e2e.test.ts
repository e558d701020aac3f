// The crash matrix: `kill -9` the rotating CLI at 20 evenly spaced instants of a ~2 s rotation (emulator
// latency), then run it again; docs/rotation-protocol.md's invariants hold after the kill and after the
// re-run. Three layouts: one profile; two profiles holding the same key (the re-run starts from the other
// profile); two files sharing a profile name for two users (the other file's rotation runs between the
// kill and the re-run, and must neither be blocked nor resume the interrupted one). Then `keyrot protect`
// and `keyrot unprotect`, killed at 20 instants each: the AWS CLI authenticates at every one of them, and
// the re-run of the same command completes.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { stopAtFileEnd } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH } from '../support/run-cli.js';
import { createWorld, profileBlock, valueIn, type World } from '../support/world.js';
import { awsIdentity, checkInvariants, expectNoSecretLeft } from './harness.js';

const suite = describeWith('secretService');
const INSTANTS = 20;
const BATCH = 4;
/** Longest one CLI run may take (generous: a loaded 2-core CI machine is slow). */
const RUN_LIMIT_MS = 120_000;

type Key = { accessKeyId: string; secretAccessKey: string };

/** One layout of the matrix: how to set a world up, what the killed run is, and what must hold after. */
interface Layout {
  name: string;
  prepare(w: World, index: number): Promise<Case>;
}

/** One prepared world of a layout. */
interface Case {
  /** The rotate-now arguments of the run that is killed. */
  killed: string[];
  /** Checks the invariants right after the kill (`finished` false) or after the re-runs (true). */
  check(finished: boolean): Promise<void>;
  /** What runs after the kill, in order; each must exit 0. */
  reruns: string[][];
  /** The secrets the world ends with (for the leak sweep). */
  secrets(): Promise<string[]>;
}

suite('crash matrix: kill -9 at 20 instants of a rotation, then re-run', () => {
  let emulator: RunningEmulator;
  const worlds: World[] = [];
  const secrets: string[] = [];
  const counts: string[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, latencyMs: 300 });
  });
  afterAll(async () => {
    await expectNoSecretLeft(worlds, secrets);
    await emulator?.close();
    process.stderr.write(`crash matrix: ${counts.join('; ')}\n`);
  });

  async function world(): Promise<World> {
    const w = await createWorld({ label: 'e2e', emulator });
    worlds.push(w);
    return w;
  }

  async function seed(w: World, name: string): Promise<{ user: string; old: Key }> {
    const user = await w.seed(name, { keyAgeDays: 120 });
    secrets.push(user.keys[0]!.secretAccessKey);
    return { user: user.user, old: user.keys[0]! };
  }

  /** The world as seen through another credentials file (for the invariants of a second file). */
  function through(w: World, file: string): World {
    return { ...w, credentialsFile: file, readCredentials: () => readFile(file, 'utf8') };
  }

  const layouts: Layout[] = [
    {
      name: 'one profile',
      async prepare(w, index) {
        const { user, old } = await seed(w, `crash-${index}`);
        const template = `# crash test\n${profileBlock('p', old)}\n[q]\nregion = eu-west-1\n`;
        await w.writeCredentials(template);
        return {
          killed: ['--profile', 'p'],
          reruns: [['--profile', 'p']],
          check: (finished) => checkInvariants(w, user, old, { template, finished, allowUnheld: !finished }),
          secrets: async () => [(await w.currentKey('p')).secretAccessKey],
        };
      },
    },
    {
      name: 'two profiles holding the same key',
      async prepare(w, index) {
        const { user, old } = await seed(w, `crash-shared-${index}`);
        const template = `# crash test\n${profileBlock('p', old)}\n${profileBlock('p2', old)}`;
        await w.writeCredentials(template);
        return {
          killed: ['--profile', 'p'],
          // The other profile's run must finish (or find finished) the interrupted rotation of their key.
          reruns: [['--profile', 'p2']],
          async check(finished) {
            await checkInvariants(w, user, old, { template, finished, allowUnheld: !finished });
            const text = await w.readCredentials();
            for (const key of ['aws_access_key_id', 'aws_secret_access_key']) {
              expect(valueIn(text, 'p2', key), `p and p2 disagree on ${key}`).toBe(valueIn(text, 'p', key));
            }
          },
          secrets: async () => [(await w.currentKey('p')).secretAccessKey],
        };
      },
    },
    {
      name: 'two files sharing a profile name',
      async prepare(w, index) {
        const first = await seed(w, `crash-first-${index}`);
        const second = await seed(w, `crash-second-${index}`);
        const firstTemplate = `# first file\n${profileBlock('p', first.old)}`;
        const secondTemplate = `# second file\n${profileBlock('p', second.old)}`;
        const secondFile = join(w.home, 'second-credentials');
        await w.writeCredentials(firstTemplate);
        await writeFile(secondFile, secondTemplate, { mode: 0o600 });
        const other = through(w, secondFile);
        return {
          killed: ['--profile', 'p'],
          // The second file's own rotation first (untouched by the first file's entry), then the first's re-run.
          reruns: [
            ['--profile', 'p', '--credentials-file', secondFile],
            ['--profile', 'p'],
          ],
          async check(finished) {
            await checkInvariants(w, first.user, first.old, {
              template: firstTemplate,
              finished,
              allowUnheld: !finished,
            });
            if (finished) {
              await checkInvariants(other, second.user, second.old, { template: secondTemplate, finished });
            }
          },
          secrets: async () => [
            (await w.currentKey('p')).secretAccessKey,
            (await other.currentKey('p')).secretAccessKey,
          ],
        };
      },
    },
  ];

  /** Runs rotate-now and kills it with SIGKILL after `afterMs` (never, when undefined). */
  function rotate(
    w: World,
    args: string[],
    afterMs?: number,
  ): Promise<{ code: number | null; signal: string | null; ms: number; output: string }> {
    return runKilled(w, ['rotate-now', ...args, '--json'], afterMs);
  }

  /** Runs a keyrot command and kills it with SIGKILL after `afterMs` (never, when undefined). */
  function runKilled(
    w: World,
    args: string[],
    afterMs?: number,
    trigger?: { reached: () => Promise<boolean>; delayMs: number },
  ): Promise<{ code: number | null; signal: string | null; ms: number; output: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const child = stopAtFileEnd(
        spawn(process.execPath, [CLI_PATH, ...args], {
          env: w.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      let timer = afterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), afterMs);
      // Or: kill `delayMs` after the run reached a point the files show (polled every 2 ms).
      let polling = trigger !== undefined;
      const poll = async () => {
        while (polling) {
          if (await trigger!.reached()) {
            timer = setTimeout(() => child.kill('SIGKILL'), trigger!.delayMs);
            return;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      };
      void poll();
      // A run that never ends must fail with its output, not time the whole test out in silence.
      const guard = setTimeout(() => {
        output += `\n(test: no exit after ${RUN_LIMIT_MS} ms; killed)`;
        child.kill('SIGKILL');
      }, RUN_LIMIT_MS);
      child.on('close', (code, signal) => {
        polling = false;
        clearTimeout(timer);
        clearTimeout(guard);
        w.captures.push(output);
        resolve({ code, signal, ms: Date.now() - started, output });
      });
    });
  }

  it.each(layouts)(
    'keeps the invariants at every instant: $name',
    async (layout) => {
      // Calibrate: one whole rotation of this layout, start to exit.
      const probeWorld = await world();
      const probe = await layout.prepare(probeWorld, -1);
      const whole = await rotate(probeWorld, probe.killed);
      expect(whole.code, `calibration run: ${whole.output}`).toBe(0);
      secrets.push(...(await probe.secrets()));
      expect(whole.ms).toBeGreaterThan(1_200);
      const instants = Array.from({ length: INSTANTS }, (_, i) =>
        Math.round((whole.ms * (i + 0.5)) / INSTANTS),
      );
      const outcomes: string[] = [];
      /** One world of the layout, its rotation killed `at` ms in, then checked, re-run and checked again. */
      const killAndRecover = async (index: number, at: number) => {
        const w = await world();
        const run = await layout.prepare(w, index);
        const killed = await rotate(w, run.killed, at);
        outcomes.push(`${at} ms: ${killed.signal ?? `exit ${killed.code}`}`);
        // Right after the kill: the file is whole and works; an unheld key may wait for the re-run only.
        await run.check(false);
        for (const args of run.reruns) {
          const rerun = await rotate(w, args);
          expect(rerun.code, `${args.join(' ')} after a kill at ${at} ms: ${rerun.output}`).toBe(0);
        }
        await run.check(true);
        secrets.push(...(await run.secrets()));
        return killed;
      };
      let interrupted = 0;
      for (let start = 0; start < INSTANTS; start += BATCH) {
        await Promise.all(
          instants.slice(start, start + BATCH).map(async (at, j) => {
            const i = start + j;
            let killed = await killAndRecover(i, at);
            // A run quicker than the calibration (the load fell) ended before its instant: once more, killed
            // at the same fraction of that run's own length, so late instants are not lost to the load.
            if (!killed.signal)
              killed = await killAndRecover(i + INSTANTS, Math.round((killed.ms * (i + 0.5)) / INSTANTS));
            if (killed.signal) interrupted += 1;
          }),
        );
      }
      counts.push(
        `${layout.name}: ${interrupted} of ${INSTANTS} instants killed a rotation (${outcomes.length} runs), all recovered`,
      );
      // Most instants must actually have interrupted the rotation.
      expect(interrupted).toBeGreaterThanOrEqual(INSTANTS - 2);
    },
    600_000,
  );
  /**
   * protect and unprotect: killed at 20 instants of a run, the profile and its twin (same key) still
   * authenticate through Debian's AWS CLI with their key, from the file or through keyrot credentials;
   * the re-run of the same command completes, and then the files say what the command promises.
   */
  it.each([
    { command: 'protect', prepared: false },
    { command: 'unprotect', prepared: true },
  ])(
    'keeps the AWS CLI working at every instant of keyrot $command, and its re-run completes',
    async ({ command, prepared }) => {
      const setUp = async (index: number) => {
        const w = await world();
        const { user, old } = await seed(w, `crash-${command}-${index}`);
        const template = `# crash test\n${profileBlock('p', old, 'region = us-east-1\n')}\n${profileBlock('twin', old)}\n[q]\nregion = eu-west-1\n`;
        await w.writeCredentials(template);
        await w.writeConfig('# config\n[profile q]\noutput = json\n');
        if (prepared) expect((await runKilled(w, ['protect', '--profile', 'p'])).code).toBe(0);
        return { w, user, old, template };
      };
      // Calibrate under the load the killed runs see: BATCH whole runs side by side.
      const probes = await Promise.all(
        Array.from({ length: BATCH }, async (_, i) => {
          const probe = await setUp(-1 - i);
          const whole = await runKilled(probe.w, [command, '--profile', 'p']);
          expect(whole.code, `calibration run: ${whole.output}`).toBe(0);
          return whole.ms;
        }),
      );
      // The quickest: a load that varies must not push the late instants past the end of the runs.
      const wholeMs = Math.min(...probes);
      // Half the instants spread over the run; the other half right after its first file edit (protect:
      // the config file runs keyrot; unprotect: the key is back in the credentials file) and 1 to 256 ms
      // later, where the edits and the keychain's last writes are, which a run's start-up would dwarf.
      const half = INSTANTS / 2;
      const instants: { at?: number; after?: number }[] = [
        ...Array.from({ length: half }, (_, i) => ({ at: Math.round((wholeMs * (i + 0.5)) / half) })),
        ...Array.from({ length: half }, (_, i) => ({ after: i === 0 ? 0 : 2 ** (i - 1) })),
      ];
      const outcomes: string[] = [];
      const stages: string[] = [];
      for (let start = 0; start < INSTANTS; start += BATCH) {
        await Promise.all(
          instants.slice(start, start + BATCH).map(async ({ at, after }, j) => {
            const { w, user, old, template } = await setUp(start + j);
            const firstEdit = async () =>
              command === 'protect'
                ? (await readFile(w.configFile, 'utf8').catch(() => '')).includes('credential_process')
                : valueIn(await w.readCredentials(), 'p', 'aws_access_key_id') !== undefined;
            const killed = await runKilled(
              w,
              [command, '--profile', 'p'],
              at,
              after === undefined ? undefined : { reached: firstEdit, delayMs: after },
            );
            const when = at === undefined ? `${after} ms after its first edit` : `${at} ms`;
            outcomes.push(`${when}: ${killed.signal ?? `exit ${killed.code}`}`);
            if (killed.signal) stages.push(await stageOf(w, command));
            await checkProtection(w, user, old, template, 'either');
            const rerun = await runKilled(w, [command, '--profile', 'p']);
            expect(rerun.code, `${command} after a kill at ${when}: ${rerun.output}`).toBe(0);
            await checkProtection(
              w,
              user,
              old,
              template,
              command === 'protect' ? 'protected' : 'unprotected',
            );
          }),
        );
      }
      const interrupted = outcomes.filter((o) => o.includes('SIGKILL')).length;
      const seen = (stage: string) => stages.filter((s) => s === stage).length;
      counts.push(
        `${command}: ${interrupted} of ${INSTANTS} runs killed (files left as before ${seen('before')}, in between ${seen('between')}, as after ${seen('after')}), all recovered`,
      );
      // Most instants must interrupt the run (how many varies with the machine's load; the count is reported).
      expect(interrupted).toBeGreaterThanOrEqual(INSTANTS / 2);
    },
    600_000,
  );

  /**
   * The protection invariants: the credentials file is whole (the template, with or without the two key
   * lines of p and twin); the AWS CLI authenticates p and twin as the user; `protected`: the file holds
   * no key of theirs and the config runs keyrot; `unprotected`: the file holds the key, the config does not
   * run keyrot, and the keychain holds nothing for p.
   */
  async function checkProtection(
    w: World,
    userName: string,
    old: Key,
    template: string,
    expected: 'either' | 'protected' | 'unprotected',
  ): Promise<void> {
    const text = await w.readCredentials();
    const strip = (t: string) => t.replace(/^aws_(access_key_id|secret_access_key) = .*\n/gm, '');
    if (strip(text) !== strip(template)) {
      throw new Error(`credentials file is not complete:\n${text}`);
    }
    const config = await readFile(w.configFile, 'utf8').catch(() => '');
    // Right after a kill both profiles go through the AWS CLI; after the re-run p does, and twin by its files.
    for (const profile of ['p', 'twin']) {
      const inFile = valueIn(text, profile, 'aws_access_key_id');
      if (inFile !== undefined) {
        expect(inFile).toBe(old.accessKeyId);
        expect(valueIn(text, profile, 'aws_secret_access_key')).toBe(old.secretAccessKey);
      }
      if (expected === 'either' || profile === 'p') {
        const cli = await awsIdentity(w, profile);
        expect(cli.code, `aws as ${profile}: ${cli.stderr}`).toBe(0);
        expect((JSON.parse(cli.stdout) as { Arn: string }).Arn.endsWith(`user/${userName}`)).toBe(true);
      }
      if (expected === 'protected') {
        expect(inFile).toBeUndefined();
        expect(valueIn(config, `profile ${profile}`, 'credential_process')).toContain(`--profile ${profile}`);
      }
      if (expected === 'unprotected') {
        expect(inFile).toBe(old.accessKeyId);
        expect(valueIn(config, `profile ${profile}`, 'credential_process')).toBeUndefined();
      }
    }
    if (expected === 'protected') expect(text.includes(old.secretAccessKey)).toBe(false);
    if (expected === 'unprotected') {
      const entry = await runKilled(w, ['credentials', '--profile', 'p']);
      expect(entry.code).toBe(2);
    }
  }

  /** How far a killed protect or unprotect got, as the files show it (keychain writes are not visible here). */
  async function stageOf(w: World, command: string): Promise<'before' | 'between' | 'after'> {
    const text = await w.readCredentials();
    const config = await readFile(w.configFile, 'utf8').catch(() => '');
    const inFile = valueIn(text, 'p', 'aws_access_key_id') !== undefined;
    const runsKeyrot = valueIn(config, 'profile p', 'credential_process') !== undefined;
    if (inFile === runsKeyrot) return 'between';
    return inFile === (command === 'protect') ? 'before' : 'after';
  }
});
