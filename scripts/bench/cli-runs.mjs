// What the benchmarks that run the built CLI share: which node runs it, a timed child process, medians,
// and a throwaway HOME with a key in the emulator. Not a benchmark itself (run-all runs *.bench.mjs).
//   KEYROT_BENCH_NODE=/path/to/node npm run bench -- rotation    measures keyrot (and `node -e 0`) on
//   that node; the benchmark scripts themselves still run on the node that runs npm.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The node binary that runs keyrot and the `node -e 0` baseline. */
export const benchNode = process.env.KEYROT_BENCH_NODE || process.execPath;

/** That node's version, e.g. v24.1.0. */
export const benchNodeVersion = spawnSync(benchNode, ['--version'], { encoding: 'utf8' }).stdout.trim();

/** The command a person runs: the package's `bin`. */
export const cliPath = fileURLToPath(
  new URL(
    `../../${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).bin.keyrot}`,
    import.meta.url,
  ),
);

/** The middle value (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// CPU time (user + system, all threads) says what a run costs even when other processes compete for
// the cores and stretch the wall time. A small Python parent forks the command and reads both from
// wait4(), which counts in microseconds; where python3 is missing, only the wall time is measured.
const PYTHON = '/usr/bin/python3';
const METER = `
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], 'w') as out:
    out.write(f"{wall * 1000} {(usage.ru_utime + usage.ru_stime) * 1000}")
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
`;
const metered = process.platform !== 'win32' && existsSync(PYTHON);

/** Runs `command` to its end: exit code, stdout+stderr, wall time and (NaN when unknown) CPU time in ms. */
export function timed(command, args, env) {
  const meterFile = join(tmpdir(), `keyrot-bench-meter-${randomBytes(6).toString('hex')}`);
  const [file, argv] = metered ? [PYTHON, ['-c', METER, meterFile, command, ...args]] : [command, args];
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => {
      let ms = Number(process.hrtime.bigint() - started) / 1e6;
      let cpuMs = Number.NaN;
      if (metered) {
        [ms, cpuMs] = readFileSync(meterFile, 'utf8').split(' ').map(Number);
        rmSync(meterFile, { force: true });
      }
      resolve({ code, out, ms, cpuMs });
    });
  });
}

/**
 * One line of a report: the median wall time of `runs` and its ratio to the `baseline` runs' median, and
 * the same for CPU time when it is known.
 */
export function reportLine(name, runs, baseline) {
  const part = (key) => {
    const m = median(runs.map((r) => r[key]));
    const ratio = baseline ? `${(m / median(baseline.map((r) => r[key]))).toFixed(2)}x` : 'baseline';
    return `${m.toFixed(0).padStart(5)} ms ${ratio.padStart(8)}`;
  };
  const cpu = Number.isNaN(median(runs.map((r) => r.cpuMs))) ? '' : `   CPU ${part('cpuMs')}`;
  return `${name.padEnd(26)} wall ${part('ms')}${cpu}`;
}

/** `node -e 0` on the bench node: the baseline each benchmark divides by. */
export async function bareNode() {
  const result = await timed(benchNode, ['-e', '0'], { PATH: process.env.PATH });
  if (result.code !== 0) throw new Error(`node -e 0 exited ${result.code}: ${result.out}`);
  return result;
}

/** Runs the built CLI on the bench node; throws with its output unless it exits 0. */
export async function keyrot(args, env) {
  const result = await timed(benchNode, [cliPath, ...args], env);
  if (result.code !== 0) throw new Error(`keyrot ${args.join(' ')} exited ${result.code}:\n${result.out}`);
  return result;
}

// The OS keychain when a Secret Service is reachable (scripts/test-session.sh), else the file backend.
export const osKeychain = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

/**
 * Throwaway HOMEs for one emulator. `world(name, reuse)` gives a HOME whose `[p]` holds a fresh key
 * (120 days old unless `keyAgeDays`); `reuse` carries a HOME and keychain service over from run to run,
 * as a person's: backups pile up to the retention limit, the compile cache stays warm. `cleanup()`
 * removes every keychain service the worlds used (the HOMEs are the caller's to remove).
 */
export function benchWorlds(emulator) {
  const services = new Set();
  async function world(name, reuse, keyAgeDays = 120) {
    const home = reuse?.home ?? (await mkdtemp(join(tmpdir(), 'keyrot-bench-')));
    await mkdir(join(home, '.aws'), { recursive: true, mode: 0o700 });
    const user = await emulator.admin.seedUser({ user: `bench-${name}`, keyAgeDays });
    const key = user.keys[0];
    const credentials = join(home, '.aws', 'credentials');
    await writeFile(
      credentials,
      `[p]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    await writeFile(join(home, '.aws', 'config'), '[profile p]\nregion = us-east-1\n', { mode: 0o600 });
    const config = join(home, 'keyrot.ini');
    await writeFile(config, osKeychain ? '' : 'keychain = file\n');
    const service = reuse?.service ?? `keyrot-bench-${randomBytes(4).toString('hex')}`;
    services.add(service);
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
      KEYROT_CONFIG: config,
      KEYROT_STATE_DIR: join(home, 'state'),
      KEYROT_KEYCHAIN_SERVICE: service,
      AWS_ENDPOINT_URL: emulator.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return { home, env, key, credentials, service };
  }
  async function cleanup() {
    // The runs' backups and journals (secret-tool is how the tests read the Secret Service too).
    if (osKeychain && existsSync('/usr/bin/secret-tool')) {
      for (const service of services) spawnSync('secret-tool', ['clear', 'service', service]);
    }
  }
  return { world, cleanup, remove: (home) => rm(home, { recursive: true, force: true }) };
}

/** Whether this run's verdicts count (run-all judges the targets on Node 24 and reports this node's). */
export const judged = process.env.KEYROT_BENCH_JUDGE !== '0';

/**
 * One target's verdict line: `name`'s median wall time over the baseline's, against `limit`. Returns
 * whether it failed in a judged run (the caller sets the exit code).
 */
export function verdict(name, runs, baseline, limit) {
  const ratio = median(runs.map((r) => r.ms)) / median(baseline.map((r) => r.ms));
  const pass = ratio <= limit;
  console.log(
    `${reportLine(name, runs, baseline)}   ${pass ? 'PASS' : 'FAIL'} (target ≤ ${limit}x node -e 0${judged ? '' : ', reported'})`,
  );
  return judged && !pass;
}
