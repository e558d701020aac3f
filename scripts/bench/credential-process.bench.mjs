// `keyrot credentials --profile P` — the credential_process every AWS CLI call of a protected profile
// waits for — against `node -e 0`, interleaved in the same run (median wall times; target ≤ 1.3x).
// Judged as an installed keyrot runs it: with its daemon running (the service is always on), whose
// agent serves the key over a private socket (docs/agent.md). Reported beside it, in the same loop:
// the direct path, which reads the keychain itself, as it does when no daemon runs. It needs a real OS
// keychain: on Linux a Secret Service on the session bus (`bash scripts/test-session.sh npm run bench
// -- credential-process` provides a private one), and the emulator for the daemon's start-up check.
// run-all judges it on Node 24 and reports it on this node; KEYROT_BENCH_NODE picks the node
// (scripts/bench/cli-runs.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../dist/emulator/index.js';
import { DAEMON_NODE_OPTIONS } from '../../dist/service/spec.js';
import { bareNode, benchNode, benchNodeVersion, cliPath, keyrot, reportLine, verdict } from './cli-runs.mjs';
import { breakdown, traceRun } from './trace-report.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const LIMIT = 1.3;

if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.log('skipped: no D-Bus session bus (run it through scripts/test-session.sh)');
  process.exit(0);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const home = mkdtempSync(join(tmpdir(), 'keyrot-bench-cp-'));
const service = `keyrot-bench-${randomBytes(6).toString('hex')}`;
const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
// The agent's socket in a runtime dir of the bench's own, as the session's is for a person.
const runtimeDir = join(home, 'run');
const env = {
  PATH: process.env.PATH,
  DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
  XDG_RUNTIME_DIR: runtimeDir,
  HOME: home,
  USER: 'bench',
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  KEYROT_KEYCHAIN_SERVICE: service,
  AWS_CONFIG_FILE: join(home, '.aws', 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
  AWS_ENDPOINT_URL: emulator.url,
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
// The same, without a daemon to ask: no socket in that runtime dir.
const directEnv = { ...env, XDG_RUNTIME_DIR: join(home, 'run-without-daemon') };
const socket = join(runtimeDir, 'keyrot', 'agent.sock');

let failed = false;
let daemon;
try {
  mkdirSync(join(home, '.aws'), { mode: 0o700 });
  mkdirSync(runtimeDir, { mode: 0o700 });
  mkdirSync(directEnv.XDG_RUNTIME_DIR, { mode: 0o700 });
  // A key the emulator knows, so that the daemon's start-up check of the profile succeeds.
  const { keys } = await emulator.admin.seedUser({ user: 'bench', keyAgeDays: 10 });
  const key = keys[0];
  writeFileSync(
    env.AWS_SHARED_CREDENTIALS_FILE,
    `[bench]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  mkdirSync(join(home, '.config', 'keyrot'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.config', 'keyrot', 'config.ini'), 'notify = false\n[profile bench]\n');
  await keyrot(['protect', '--profile', 'bench'], env);
  // The daemon as the service runs it.
  daemon = spawn(benchNode, [...DAEMON_NODE_OPTIONS, cliPath, 'daemon'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let daemonErr = '';
  daemon.stderr.on('data', (chunk) => {
    daemonErr += chunk;
  });
  for (const started = Date.now(); !existsSync(socket); await sleep(25)) {
    if (daemon.exitCode !== null || Date.now() - started > 60_000) {
      throw new Error(`the daemon did not open its agent socket:\n${daemonErr}`);
    }
  }
  const served = (result) => {
    if (JSON.parse(result.out).AccessKeyId !== key.accessKeyId) throw new Error('a wrong key was printed');
    return result;
  };
  const credentials = async () => served(await keyrot(['credentials', '--profile', 'bench'], env));
  const direct = async () => served(await keyrot(['credentials', '--profile', 'bench'], directEnv));
  // Warm the file cache and the daemon's keychain connection (its first request loads that code).
  await bareNode();
  await credentials();
  await direct();
  const bare = [];
  const runs = [];
  const directRuns = [];
  for (let i = 0; i < RUNS; i += 1) {
    bare.push(await bareNode());
    runs.push(await credentials());
    directRuns.push(await direct());
  }
  console.log(`node ${benchNodeVersion}; ${RUNS} runs each, interleaved; the daemon runs (its agent serves)`);
  console.log(reportLine('node -e 0', bare));
  if (verdict('keyrot credentials', runs, bare, LIMIT)) failed = true;
  console.log(`${reportLine('  direct (no daemon)', directRuns, bare)}   (reported)`);
  // Where the time of one more run goes: through the agent, then reading the keychain itself.
  console.log(
    breakdown(await traceRun(['credentials', '--profile', 'bench'], env), 'credentials').join('\n'),
  );
  console.log(
    breakdown(await traceRun(['credentials', '--profile', 'bench'], directEnv), 'credentials').join('\n'),
  );
} finally {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    const timer = setTimeout(() => daemon.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  spawnSync(benchNode, [cliPath, 'unprotect', '--profile', 'bench'], { env, stdio: 'ignore' });
  if (process.platform === 'linux')
    spawnSync('secret-tool', ['clear', 'service', service], { stdio: 'ignore' });
  await emulator.close();
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
