// Runs every benchmark in this folder (files named *.bench.mjs), or those whose name contains an argument:
//   npm run bench            all of them
//   npm run bench -- emulator   only scripts/bench/emulator*.bench.mjs
// Each benchmark prints its own medians and ratios against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n== ${name}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', `${dir}${name}`], {
    stdio: 'inherit',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (result.status !== 0) failed += 1;
}
if (benches.length === 0) process.stdout.write('no benchmarks matched\n');
process.exitCode = failed === 0 ? 0 : 1;
