// `keyrot status --offline` (reads the state file) and `keyrot status` (asks IAM) against `node -e 0`,
// interleaved in the same run (medians), in one HOME whose state a rotation wrote; the compile cache
// warm (earlier runs wrote it) and, for the first run after an install, empty; then one traced run of
// each, broken down by phase. Targets (issue 16):
// status --offline ≤ 1.5x, status ≤ 2.5x (PASS/FAIL). KEYROT_BENCH_NODE picks the node (scripts/bench/cli-runs.mjs).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../dist/emulator/index.js';
import { bareNode, benchNodeVersion, benchWorlds, keyrot, reportLine, verdict } from './cli-runs.mjs';
import { breakdown, traceRun } from './trace-report.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const TARGETS = { 'status --offline': 1.5, status: 2.5 };
const cases = { 'status --offline': ['status', '--offline', '--json'], status: ['status', '--json'] };

let failed = false;
const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
const worlds = benchWorlds(emulator);
const home = await mkdtemp(join(tmpdir(), 'keyrot-bench-status-'));
try {
  const w = await worlds.world('status', { home, service: `keyrot-bench-status-${process.pid}` });
  // The state file `status --offline` reads, as a rotation leaves it.
  await keyrot(['rotate-now', '--profile', 'p'], w.env);
  for (const args of Object.values(cases)) await keyrot(args, w.env); // writes the compile cache
  const times = { 'node -e 0': [], ...Object.fromEntries(Object.keys(cases).map((n) => [n, []])) };
  const first = Object.fromEntries(Object.keys(cases).map((n) => [n, []]));
  for (let i = 0; i < RUNS; i += 1) {
    times['node -e 0'].push(await bareNode());
    for (const [name, args] of Object.entries(cases)) {
      times[name].push(await keyrot(args, w.env));
      // The first run after an install: an empty compile cache.
      const cacheHome = await mkdtemp(join(home, 'cache-'));
      first[name].push(await keyrot(args, { ...w.env, XDG_CACHE_HOME: cacheHome }));
      await worlds.remove(cacheHome);
    }
  }
  const base = times['node -e 0'];
  console.log(`node ${benchNodeVersion}; medians of ${RUNS}`);
  console.log(reportLine('node -e 0', base));
  for (const [name, limit] of Object.entries(TARGETS)) {
    if (verdict(name, times[name], base, limit)) failed = true;
    console.log(reportLine('  first run, no cache', first[name], base));
  }
  // Where one more run of each goes (scripts/bench/trace-report.mjs): the bin, the command's modules, work.
  for (const args of Object.values(cases)) {
    console.log(`keyrot ${args.join(' ')}:`);
    for (const line of breakdown(await traceRun(args, w.env), 'status')) console.log(`  ${line}`);
  }
} finally {
  await emulator.close();
  await worlds.cleanup();
  await worlds.remove(home);
}
process.exitCode = failed ? 1 : 0;
