// Start-up: `keyrot --version` and `keyrot --help` against `node -e 0`, measured interleaved in the same
// run (medians), and proof that neither loads any AWS SDK module (a resolve hook records every import,
// a preload every require()). The command measured is the package's `bin` (dist/cli.cjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const cli = fileURLToPath(new URL(`../../${pkg.bin.keyrot}`, import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const LIMIT = 1.3;

const cases = {
  'node -e 0': ['-e', '0'],
  'keyrot --version': [cli, '--version'],
  'keyrot --help': [cli, '--help'],
};

function once(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (const args of Object.values(cases)) once(args); // warm the file cache
for (let i = 0; i < RUNS; i += 1)
  for (const [name, args] of Object.entries(cases)) times[name].push(once(args));

const base = median(times['node -e 0']);
let failed = false;
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  const ratio = m / base;
  const verdict =
    name === 'node -e 0' ? 'baseline' : ratio <= LIMIT ? `ok (≤ ${LIMIT}x)` : `TOO SLOW (> ${LIMIT}x)`;
  if (name !== 'node -e 0' && ratio > LIMIT) failed = true;
  console.log(`${name.padEnd(18)} median ${m.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x  ${verdict}`);
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
  `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
);
const preload = join(dir, 'preload.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)},
  Object.keys(require.cache).filter((f) => f !== __filename).map((f) => f + '\\n').join('')));\n`,
);
for (const flag of ['--version', '--help']) {
  writeFileSync(log, '');
  const result = spawnSync(process.execPath, ['--require', preload, '--import', register, cli, flag], {
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
