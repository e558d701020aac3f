// Idle cost of `keyrot daemon`: after its start-up check (against the emulator, key not due), how much
// memory it has held at peak (VmHWM) and how much CPU it burns while idle for IDLE seconds, compared
// with a bare node that runs a timer and an fs.watch (what the daemon itself needs) over the same window, in the
// same run. Targets (issue 16): peak RSS ≤ 1.25x the bare process's, idle CPU within 0.05 s of its.
//   npm run bench -- daemon            (IDLE=60 by default; KEYROT_BENCH_IDLE_S=10 for a quick look)
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchNode, benchNodeVersion, cliPath, judged } from './cli-runs.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The package's bin, as a service runs it: with the node options its unit, plist or task gives it.
const cli = cliPath;
const { startEmulator, seedUser } = await import(path.join(root, 'dist', 'emulator', 'index.js'));
const { DAEMON_NODE_OPTIONS } = await import(path.join(root, 'dist', 'service', 'spec.js'));
const IDLE_S = Number(process.env.KEYROT_BENCH_IDLE_S) || 60;
// /proc/PID/stat counts CPU time in clock ticks (USER_HZ, 100 on Linux).
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) and memory figures of a process, from /proc. */
async function sample(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { cpuS, hwmMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024 };
}

/** Child pids of `pid` (Linux). */
async function childrenOf(pid) {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(' ').filter(Boolean).map(Number);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const home = await mkdtemp(path.join(tmpdir(), 'keyrot-bench-daemon-'));
const emulator = await startEmulator();
let daemon;
let baseline;
try {
  const user = await seedUser(emulator, { user: 'bench', keyAgeDays: 10 });
  const key = user.keys[0];
  await mkdir(path.join(home, '.aws'), { recursive: true, mode: 0o700 });
  await writeFile(
    path.join(home, '.aws', 'credentials'),
    `[dev]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  await mkdir(path.join(home, '.config', 'keyrot'), { recursive: true });
  // The file keychain and no notifications: the bench must not depend on a desktop session.
  await writeFile(
    path.join(home, '.config', 'keyrot', 'config.ini'),
    'notify = false\nkeychain = file\n[profile dev]\n',
  );
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    USER: 'bench',
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(process.env.KEYROT_BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.KEYROT_BENCH_NODE_OPTIONS } : {}),
  };
  const stateFile = path.join(home, '.local', 'state', 'keyrot', 'state.json');

  const startedAt = Date.now();
  daemon = spawn(benchNode, [...DAEMON_NODE_OPTIONS, cli, 'daemon'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  daemon.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  baseline = spawn(
    benchNode,
    [
      '-e',
      `require('node:fs').watch(${JSON.stringify(path.join(home, '.aws'))}, () => {}); setInterval(() => {}, 1e9)`,
    ],
    { stdio: 'ignore' },
  );

  // Start-up is over once the first check is recorded. Meanwhile, watch the pass's worker process
  // (it loads the SDK and exits after the pass) to report its peak too.
  let outcome;
  let workerPeakMB = 0;
  for (;;) {
    for (const child of await childrenOf(daemon.pid)) {
      const figures = await sample(child).catch(() => null);
      if (Number.isFinite(figures?.hwmMB)) workerPeakMB = Math.max(workerPeakMB, figures.hwmMB);
    }
    const state = await readFile(stateFile, 'utf8').then(JSON.parse, () => null);
    outcome = state?.profiles?.dev?.lastResult?.outcome;
    if (state?.lastCheck) break;
    if (daemon.exitCode !== null || Date.now() - startedAt > 60_000) {
      throw new Error(`the daemon did not record a check:\n${stderr}`);
    }
    await sleep(25);
  }
  const startupMs = Date.now() - startedAt;
  if (outcome !== 'not-due') throw new Error(`the start-up check did not succeed (${outcome}):\n${stderr}`);
  await sleep(1_000); // let the check's sockets and log writes settle
  const d0 = await sample(daemon.pid);
  const b0 = await sample(baseline.pid);
  // CPU per 10 s window, for a median beside the total.
  const windows = [];
  let previous = d0;
  for (let left = IDLE_S; left > 0; left -= 10) {
    await sleep(Math.min(10, left) * 1000);
    const now = await sample(daemon.pid);
    windows.push(now.cpuS - previous.cpuS);
    previous = now;
  }
  const d1 = previous;
  const b1 = await sample(baseline.pid);
  const median = [...windows].sort((a, b) => a - b)[Math.floor(windows.length / 2)];

  const idleCpu = d1.cpuS - d0.cpuS;
  const baseCpu = b1.cpuS - b0.cpuS;
  const judge = (pass) => `${pass ? 'PASS' : 'FAIL'}${judged ? '' : ' (reported)'}`;
  const rssPass = d1.hwmMB <= 1.25 * b1.hwmMB;
  const cpuPass = idleCpu - baseCpu <= 0.05;
  if (judged && !(rssPass && cpuPass)) process.exitCode = 1;
  process.stdout.write(
    `node ${benchNodeVersion} ${DAEMON_NODE_OPTIONS.join(' ')} (as the service runs it); daemon idle for ${IDLE_S} s after a start-up check of ${startupMs} ms (1 profile, emulator); baseline: node without options\n`,
  );
  const mb = (x) => `${x.toFixed(1).padStart(6)} MB`;
  process.stdout.write(
    `${'peak RSS (VmHWM)'.padEnd(26)} ${mb(d1.hwmMB)}  baseline ${mb(b1.hwmMB)}  ratio ${(d1.hwmMB / b1.hwmMB).toFixed(2)}x   ${judge(rssPass)} (target ≤ 1.25x)\n`,
  );
  process.stdout.write(
    `${'RSS at the end'.padEnd(26)} ${mb(d1.rssMB)}  baseline ${mb(b1.rssMB)}  ratio ${(d1.rssMB / b1.rssMB).toFixed(2)}x\n`,
  );
  process.stdout.write(
    `${'idle CPU'.padEnd(26)} ${idleCpu.toFixed(2).padStart(6)} s   baseline ${baseCpu.toFixed(2).padStart(6)} s   (+${(idleCpu - baseCpu).toFixed(2)} s)   ${judge(cpuPass)} (target ≤ +0.05 s)\n`,
  );
  process.stdout.write(
    `${'idle CPU per 10 s, median'.padEnd(26)} ${median.toFixed(3).padStart(8)} s   (${windows.length} windows)\n`,
  );
  process.stdout.write(`${'CPU incl. start-up'.padEnd(26)} ${d1.cpuS.toFixed(2).padStart(8)} s\n`);
  process.stdout.write(
    `${'check worker peak RSS'.padEnd(26)} ${workerPeakMB.toFixed(2).padStart(8)} MB  (a separate process for the length of a check)\n`,
  );
} finally {
  daemon?.kill('SIGTERM');
  baseline?.kill('SIGTERM');
  await sleep(300);
  await emulator.close();
  await rm(home, { recursive: true, force: true });
}
