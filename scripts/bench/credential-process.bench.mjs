// `keyrot credentials --profile P` — the credential_process every AWS CLI call of a protected profile
// waits for — against `node -e 0`, interleaved in the same run (median wall times; target ≤ 1.3x). It
// reads the key from the real OS keychain, so it needs one: on Linux a Secret Service on the session bus
// (`bash scripts/test-session.sh npm run bench -- credential-process` provides a private one).
// run-all judges it on Node 24 and reports it on this node; KEYROT_BENCH_NODE picks the node
// (scripts/bench/cli-runs.mjs).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareNode, benchNode, benchNodeVersion, cliPath, keyrot, reportLine, verdict } from './cli-runs.mjs';
import { breakdown, traceRun } from './trace-report.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const LIMIT = 1.3;

if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.log('skipped: no D-Bus session bus (run it through scripts/test-session.sh)');
  process.exit(0);
}

const home = mkdtempSync(join(tmpdir(), 'keyrot-bench-cp-'));
const service = `keyrot-bench-${randomBytes(6).toString('hex')}`;
const env = {
  PATH: process.env.PATH,
  DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  KEYROT_KEYCHAIN_SERVICE: service,
  AWS_CONFIG_FILE: join(home, '.aws', 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
};

let failed = false;
try {
  mkdirSync(join(home, '.aws'), { mode: 0o700 });
  // A made-up key: protect and credentials never call AWS.
  writeFileSync(
    env.AWS_SHARED_CREDENTIALS_FILE,
    `[bench]\naws_access_key_id = AKIABENCHBENCHBENCH1\naws_secret_access_key = ${randomBytes(30).toString('base64')}\n`,
    { mode: 0o600 },
  );
  await keyrot(['protect', '--profile', 'bench'], env);
  const credentials = () => keyrot(['credentials', '--profile', 'bench'], env);
  // Warm the file cache.
  await bareNode();
  await credentials();
  const bare = [];
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) {
    bare.push(await bareNode());
    runs.push(await credentials());
  }
  console.log(`node ${benchNodeVersion}; ${RUNS} runs each, interleaved`);
  console.log(reportLine('node -e 0', bare));
  if (verdict('keyrot credentials', runs, bare, LIMIT)) failed = true;
  // Where the time of one more run goes: loading, the keychain read and its D-Bus round trips.
  console.log(
    breakdown(await traceRun(['credentials', '--profile', 'bench'], env), 'credentials').join('\n'),
  );
} finally {
  spawnSync(benchNode, [cliPath, 'unprotect', '--profile', 'bench'], { env, stdio: 'ignore' });
  if (process.platform === 'linux')
    spawnSync('secret-tool', ['clear', 'service', service], { stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
