// One rotation through the CLI against the emulator (no propagation delay): HTTP requests counted at
// the emulator, whole-process wall time (median), and the same rotation done the classic way — one
// Debian AWS CLI v2 call per step — measured in the same run. Targets: ≤ 8 requests, < 600 ms, ≥ 10x.
// keyrot is measured twice: as a person runs it day to day (V8's code cache in ~/.cache/keyrot written
// by an earlier run), and as the first run after an install or upgrade (an empty cache, then written).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../../dist/emulator/index.js';

// The command a person runs: the package's `bin` (dist/cli.cjs).
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const cli = fileURLToPath(new URL(`../../${pkg.bin.keyrot}`, import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CLASSIC_RUNS = Number(process.env.BENCH_CLASSIC_RUNS ?? 3);
const AWS = '/usr/bin/aws';

// The OS keychain when a Secret Service is reachable (scripts/test-session.sh), else the file backend.
const osKeychain = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

function run(command, args, env) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ code, out, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}

/**
 * A HOME whose `[p]` holds a fresh 120-day-old key. `reuse` carries a HOME and keychain service over
 * from run to run, as a person's: backups pile up to the retention limit, the code cache stays warm.
 */
async function world(emulator, n, reuse) {
  const home = reuse?.home ?? (await mkdtemp(join(tmpdir(), 'keyrot-bench-')));
  await mkdir(join(home, '.aws'), { recursive: true, mode: 0o700 });
  const user = await emulator.admin.seedUser({ user: `bench-${n}`, keyAgeDays: 120 });
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

// Every keychain service a run used, removed from the OS keychain at the end.
const services = new Set();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One `keyrot rotate-now` (in a fresh HOME unless `reuse`): its wall time and the requests the emulator saw. */
async function rotateOnce(emulator, n, reuse) {
  const w = await world(emulator, n, reuse);
  const before = emulator.admin.requestCount();
  const result = await run(process.execPath, [cli, 'rotate-now', '--profile', 'p', '--json'], w.env);
  if (result.code !== 0) throw new Error(`keyrot rotate-now exited ${result.code}:\n${result.out}`);
  const requests = emulator.admin.requestCount() - before;
  if (!reuse) await rm(w.home, { recursive: true, force: true });
  return { ms: result.ms, requests };
}

const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
let failed = false;
try {
  // Day to day: one HOME and keychain service. Eleven rotations first write the code cache and fill the
  // backups to their limit of 10, so every measured run also prunes the oldest backup, as it will for
  // a person.
  const daily = {
    home: await mkdtemp(join(tmpdir(), 'keyrot-bench-daily-')),
    service: `keyrot-bench-${randomBytes(4).toString('hex')}`,
  };
  for (let i = 0; i < 11; i += 1) await rotateOnce(emulator, `prime${i}`, daily);
  const warm = [];
  for (let i = 0; i < RUNS; i += 1) warm.push(await rotateOnce(emulator, `k${i}`, daily));
  await rm(daily.home, { recursive: true, force: true });
  // First run after an install: a fresh HOME and keychain service each time, so an empty code cache.
  const cold = [];
  for (let i = 0; i < RUNS; i += 1) cold.push(await rotateOnce(emulator, `f${i}`));

  const keyrot = median(warm.map((r) => r.ms));
  const first = median(cold.map((r) => r.ms));
  const requests = [...warm, ...cold].map((r) => r.requests);
  const maxRequests = Math.max(...requests);
  const list = (runs) => runs.map((r) => r.ms.toFixed(0)).join(', ');
  console.log(`keychain: ${osKeychain ? 'OS (Secret Service)' : 'file backend (no Secret Service here)'}`);
  console.log(
    `keyrot rotate-now      median ${keyrot.toFixed(0).padStart(6)} ms  (${RUNS} runs: ${list(warm)})`,
  );
  console.log(
    `  first run, no cache   median ${first.toFixed(0).padStart(6)} ms  (${RUNS} runs: ${list(cold)})`,
  );
  console.log(
    `  HTTP requests per rotation: ${requests.join(', ')} (limit 8) ${maxRequests <= 8 ? 'ok' : 'TOO MANY'}`,
  );
  console.log(`  whole-process time: ${Math.max(keyrot, first) < 600 ? 'ok' : 'OVER'} the 600 ms target`);
  if (maxRequests > 8) failed = true;

  if (!existsSync(AWS)) {
    console.log('classic script: skipped (/usr/bin/aws is not installed)');
  } else {
    const classicMs = [];
    for (let i = 0; i < CLASSIC_RUNS; i += 1) {
      const w = await world(emulator, `c${i}`);
      const env = {
        PATH: process.env.PATH,
        HOME: w.home,
        AWS_PROFILE: 'p',
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_DEFAULT_REGION: 'us-east-1',
      };
      const aws = (...args) => run(AWS, [...args, '--endpoint-url', emulator.url, '--output', 'json'], env);
      const started = process.hrtime.bigint();
      const who = await aws('sts', 'get-caller-identity');
      const userName = JSON.parse(who.out).Arn.split('/').pop();
      await aws('iam', 'list-access-keys', '--user-name', userName);
      const created = JSON.parse(
        (await aws('iam', 'create-access-key', '--user-name', userName)).out,
      ).AccessKey;
      await run(AWS, ['configure', 'set', 'aws_access_key_id', created.AccessKeyId, '--profile', 'p'], env);
      await run(
        AWS,
        ['configure', 'set', 'aws_secret_access_key', created.SecretAccessKey, '--profile', 'p'],
        env,
      );
      const update = await aws(
        'iam',
        'update-access-key',
        '--user-name',
        userName,
        '--access-key-id',
        w.key.accessKeyId,
        '--status',
        'Inactive',
      );
      if (update.code !== 0) throw new Error(`classic update-access-key failed: ${update.out}`);
      classicMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      await rm(w.home, { recursive: true, force: true });
    }
    const classic = median(classicMs);
    const ratio = classic / keyrot;
    console.log(
      `classic script (6 aws calls) median ${classic.toFixed(0).padStart(6)} ms  (${CLASSIC_RUNS} runs)`,
    );
    console.log(
      `ratio classic / keyrot: ${ratio.toFixed(1)}x (target ≥ 10x) ${ratio >= 10 ? 'ok' : 'BELOW TARGET'}`,
    );
    console.log(`ratio classic / keyrot's first run: ${(classic / first).toFixed(1)}x`);
  }
} finally {
  await emulator.close();
  // The runs' backups and journals (secret-tool is how the tests read the Secret Service too).
  if (osKeychain && existsSync('/usr/bin/secret-tool')) {
    for (const service of services) spawnSync('secret-tool', ['clear', 'service', service]);
  }
}
process.exitCode = failed ? 1 : 0;
