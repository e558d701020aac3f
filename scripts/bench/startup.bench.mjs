// Start-up: `keyrot --version` and `keyrot --help` against `node -e 0`, measured interleaved in the same
// run (medians), and proof that neither loads any AWS SDK module (a resolve hook records every import,
// a preload every require()). The command measured is the package's `bin` (dist/cli.cjs), on the node
// KEYROT_BENCH_NODE names (scripts/bench/cli-runs.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchNode, benchNodeVersion, cliPath as cli, median, reportLine, timed } from './cli-runs.mjs';

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
  if (ratio > LIMIT) failed = true;
  console.log(`${reportLine(name, runs, base)}   ${ratio <= LIMIT ? 'ok' : 'TOO SLOW'} (target ${LIMIT}x)`);
}

// Which modules do --version and --help load? A resolve hook appends every resolved URL to a file, and a
// preload appends every module in require's cache at exit (the bin is CommonJS; the SDK loads by require).
const dir = mkdtempSync(join(tmpdir(), 'keyrot-bench-'));
const log = join(dir, 'modules.log');
const hooks = join(dir, 'hooks.mjs');
writeFileSync(
  hooks,
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`,
);
const register = join(dir, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
);
const preload = join(dir, 'preload.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)},
  Object.keys(require.cache).filter((f) => f !== __filename).map((f) => f + '\\n').join('')));\n`,
);
for (const flag of ['--version', '--help']) {
  writeFileSync(log, '');
  const result = spawnSync(benchNode, ['--require', preload, '--import', register, cli, flag], {
    stdio: 'ignore',
  });
  const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  const sdk = modules.filter((url) => /@aws-sdk|@smithy/.test(url));
  console.log(
    `keyrot ${flag}: ${modules.length} modules resolved, AWS SDK modules: ${sdk.length} (exit ${result.status})`,
  );
  if (sdk.length > 0 || modules.length === 0) failed = true;
}
rmSync(dir, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
