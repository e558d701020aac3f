// `keyrot credentials --profile P` — the credential_process every AWS CLI call of a protected profile
// waits for — against `node -e 0`, interleaved in the same run (medians; target ≤ 1.3x). It reads the
// key from the real OS keychain, so it needs one: on Linux a Secret Service on the session bus
// (`bash scripts/test-session.sh npm run bench -- credential-process` provides a private one).
//   KEYROT_BENCH_NODE=/path/to/node   measures keyrot and the baseline on that node.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const cli = fileURLToPath(new URL(`../../${pkg.bin.keyrot}`, import.meta.url));
const node = process.env.KEYROT_BENCH_NODE || process.execPath;
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const LIMIT = 1.3;

if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.log('skipped: no D-Bus session bus (run it through scripts/test-session.sh)');
  process.exit(0);
}

const home = mkdtempSync(join(tmpdir(), 'keyrot-bench-cp-'));
const service = `keyrot-bench-${randomBytes(6).toString('hex')}`;
const env = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  KEYROT_KEYCHAIN_SERVICE: service,
  AWS_CONFIG_FILE: join(home, '.aws', 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
};

function once(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let failed = false;
try {
  mkdirSync(join(home, '.aws'), { mode: 0o700 });
  // A made-up key: protect and credentials never call AWS.
  writeFileSync(
    env.AWS_SHARED_CREDENTIALS_FILE,
    `[bench]\naws_access_key_id = AKIABENCHBENCHBENCH1\naws_secret_access_key = ${randomBytes(30).toString('base64')}\n`,
    { mode: 0o600 },
  );
  once([cli, 'protect', '--profile', 'bench']);
  const cases = {
    'node -e 0': ['-e', '0'],
    'keyrot credentials': [cli, 'credentials', '--profile', 'bench'],
  };
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (const args of Object.values(cases)) once(args); // warm the file cache
  for (let i = 0; i < RUNS; i += 1)
    for (const [name, args] of Object.entries(cases)) times[name].push(once(args));
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const base = median(times['node -e 0']);
  console.log(`node ${version}, ${RUNS} runs each, interleaved`);
  for (const [name, xs] of Object.entries(times)) {
    const m = median(xs);
    const ratio = m / base;
    const verdict =
      name === 'node -e 0' ? 'baseline' : ratio <= LIMIT ? `ok (≤ ${LIMIT}x)` : `TOO SLOW (> ${LIMIT}x)`;
    if (name !== 'node -e 0' && ratio > LIMIT) failed = true;
    console.log(`${name.padEnd(20)} median ${m.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x  ${verdict}`);
  }
} finally {
  spawnSync(node, [cli, 'unprotect', '--profile', 'bench'], { env, stdio: 'ignore' });
  if (process.platform === 'linux')
    spawnSync('secret-tool', ['clear', 'service', service], { stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
