// One rotation through the CLI against the emulator (no propagation delay): HTTP requests counted at
// the emulator, whole-process wall time (median) against `node -e 0` run between the rotations, and the
// same rotation done the classic way — one Debian AWS CLI v2 call per step — measured in the same run.
// Targets: ≤ 8 requests, < 600 ms, ≥ 10x. keyrot is measured twice: as a person runs it day to day
// (one HOME, the compile cache in ~/.cache/keyrot written by an earlier run), and as the first run after
// an install or upgrade (an empty cache). KEYROT_BENCH_NODE picks the node (scripts/bench/cli-runs.mjs).
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../dist/emulator/index.js';
import {
  bareNode,
  benchNodeVersion,
  benchWorlds,
  keyrot,
  median,
  osKeychain,
  reportLine,
  timed,
  verdict,
} from './cli-runs.mjs';
import { breakdown, floorLines, traceRun } from './trace-report.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CLASSIC_RUNS = Number(process.env.BENCH_CLASSIC_RUNS ?? 3);
const AWS = '/usr/bin/aws';

const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
const worlds = benchWorlds(emulator);

/** One `keyrot rotate-now` (in a fresh HOME unless `reuse`): its wall time and the requests the emulator saw. */
async function rotateOnce(n, reuse) {
  const w = await worlds.world(n, reuse);
  const before = emulator.admin.requestCount();
  const result = await keyrot(['rotate-now', '--profile', 'p', '--json'], w.env);
  const requests = emulator.admin.requestCount() - before;
  if (!reuse) await worlds.remove(w.home);
  return { ms: result.ms, cpuMs: result.cpuMs, requests };
}

let failed = false;
try {
  // Day to day: one HOME and keychain service. Eleven rotations first write the compile cache and fill
  // the backups to their limit of 10, so every measured run also prunes the oldest backup, as it will
  // for a person.
  const daily = {
    home: await mkdtemp(join(tmpdir(), 'keyrot-bench-daily-')),
    service: `keyrot-bench-daily-${process.pid}`,
  };
  for (let i = 0; i < 11; i += 1) await rotateOnce(`prime${i}`, daily);
  const warm = [];
  const bare = [];
  for (let i = 0; i < RUNS; i += 1) {
    bare.push(await bareNode());
    warm.push(await rotateOnce(`k${i}`, daily));
  }
  // Where the time of one more day-to-day rotation goes (scripts/bench/trace-report.mjs).
  const traced = await traceRun(
    ['rotate-now', '--profile', 'p', '--json'],
    (await worlds.world('traced', daily)).env,
  );
  await worlds.remove(daily.home);
  // First run after an install: a fresh HOME and keychain service each time, so an empty compile cache.
  const cold = [];
  for (let i = 0; i < RUNS; i += 1) {
    bare.push(await bareNode());
    cold.push(await rotateOnce(`f${i}`));
  }

  const keyrotMs = median(warm.map((r) => r.ms));
  const first = median(cold.map((r) => r.ms));
  const requests = [...warm, ...cold].map((r) => r.requests);
  const maxRequests = Math.max(...requests);
  const list = (runs) => runs.map((r) => r.ms.toFixed(0)).join(', ');
  console.log(
    `node ${benchNodeVersion}; keychain: ${osKeychain ? 'OS (Secret Service)' : 'file backend (no Secret Service here)'}; medians of ${RUNS}`,
  );
  console.log(reportLine('node -e 0', bare));
  if (verdict('keyrot rotate-now', warm, bare, 2.5)) failed = true;
  if (verdict('  first run, no cache', cold, bare, 3.5)) failed = true;
  console.log(`  wall times (ms): ${list(warm)}; first runs: ${list(cold)}`);
  console.log(
    `  HTTP requests per rotation: ${requests.join(', ')} (limit 8) ${maxRequests <= 8 ? 'ok' : 'TOO MANY'}`,
  );
  console.log(`  whole-process time: ${Math.max(keyrotMs, first) < 600 ? 'ok' : 'OVER'} the 600 ms target`);
  if (maxRequests > 8) failed = true;
  console.log(breakdown(traced, 'rotate-now').join('\n'));
  console.log(floorLines(traced, 'rotate-now', median(bare.map((r) => r.ms))).join('\n'));

  if (!existsSync(AWS)) {
    console.log('classic script: skipped (/usr/bin/aws is not installed)');
  } else {
    const classicMs = [];
    for (let i = 0; i < CLASSIC_RUNS; i += 1) {
      const w = await worlds.world(`c${i}`);
      const env = {
        PATH: process.env.PATH,
        HOME: w.home,
        AWS_PROFILE: 'p',
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_DEFAULT_REGION: 'us-east-1',
      };
      const aws = (...args) => timed(AWS, [...args, '--endpoint-url', emulator.url, '--output', 'json'], env);
      const started = process.hrtime.bigint();
      const who = await aws('sts', 'get-caller-identity');
      const userName = JSON.parse(who.out).Arn.split('/').pop();
      await aws('iam', 'list-access-keys', '--user-name', userName);
      const created = JSON.parse(
        (await aws('iam', 'create-access-key', '--user-name', userName)).out,
      ).AccessKey;
      await timed(AWS, ['configure', 'set', 'aws_access_key_id', created.AccessKeyId, '--profile', 'p'], env);
      await timed(
        AWS,
        ['configure', 'set', 'aws_secret_access_key', created.SecretAccessKey, '--profile', 'p'],
        env,
      );
      const update = await aws(
        'iam',
        'update-access-key',
        '--user-name',
        userName,
        '--access-key-id',
        w.key.accessKeyId,
        '--status',
        'Inactive',
      );
      if (update.code !== 0) throw new Error(`classic update-access-key failed: ${update.out}`);
      classicMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      await worlds.remove(w.home);
    }
    const classic = median(classicMs);
    const ratio = classic / keyrotMs;
    console.log(
      `classic script (6 aws calls) median ${classic.toFixed(0).padStart(6)} ms  (${CLASSIC_RUNS} runs)`,
    );
    console.log(
      `ratio classic / keyrot: ${ratio.toFixed(1)}x (target ≥ 10x) ${ratio >= 10 ? 'ok' : 'BELOW TARGET'}`,
    );
    console.log(`ratio classic / keyrot's first run: ${(classic / first).toFixed(1)}x`);
  }
} finally {
  await emulator.close();
  await worlds.cleanup();
}
process.exitCode = failed ? 1 : 0;
