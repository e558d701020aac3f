// Start-up: `keyrot --version` and `keyrot --help` against `node -e 0`, measured interleaved in the same
// run (medians). The command measured is the package's `bin` (dist/cli.cjs), on the node KEYROT_BENCH_NODE
// names (scripts/bench/cli-runs.mjs). That they load nothing but the bin is a test (test/cli.test.ts).
import {
  benchNode,
  benchNodeVersion,
  cliPath as cli,
  judged,
  median,
  reportLine,
  timed,
} from './cli-runs.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const LIMIT = 1.3;

const cases = {
  'node -e 0': ['-e', '0'],
  'keyrot --version': [cli, '--version'],
  'keyrot --help': [cli, '--help'],
};

// Only what the commands need: variables such as NODE_EXTRA_CA_CERTS cost node -e 0 itself ~40 ms.
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

async function once(args) {
  const result = await timed(benchNode, args, env);
  if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}`);
  return result;
}

console.log(`node ${benchNodeVersion}; medians of ${RUNS}`);
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (const args of Object.values(cases)) await once(args); // warm the file and compile caches
for (let i = 0; i < RUNS; i += 1)
  for (const [name, args] of Object.entries(cases)) times[name].push(await once(args));

const base = times['node -e 0'];
let failed = false;
for (const [name, runs] of Object.entries(times)) {
  if (name === 'node -e 0') {
    console.log(reportLine(name, runs));
    continue;
  }
  const ratio = median(runs.map((r) => r.ms)) / median(base.map((r) => r.ms));
  if (ratio > LIMIT && judged) failed = true;
  console.log(
    `${reportLine(name, runs, base)}   ${ratio <= LIMIT ? 'PASS' : 'FAIL'} (target ≤ ${LIMIT}x node -e 0${judged ? '' : ', reported'})`,
  );
}

process.exitCode = failed ? 1 : 0;
