// Emulator throughput: STS GetCallerIdentity with full SigV4 verification, 2 concurrent real SDK clients
// over loopback. Baseline in the same run: a bare node:http server answering the same fixed XML to the
// same clients, so the ratio is the emulator's own cost (routing, verification, state, rendering).
// Target: p50 under 2 ms per request.
//   node scripts/bench/emulator.bench.mjs            servers in this process (as rotation tests run it)
//   node scripts/bench/emulator.bench.mjs --process  `keyrot emulator` and the baseline as child processes
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { seedUser, startEmulator } from '../../dist/emulator/index.js';

const CLIENTS = 2;
const WARMUP = 300;
const REQUESTS_PER_ROUND = 1500; // per client
const ROUNDS = 3; // emulator and baseline rounds alternate, so load drift hits both alike
const SEPARATE_PROCESSES = process.argv.includes('--process');
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function drive(url, credentials, count, samples) {
  const clients = Array.from(
    { length: CLIENTS },
    () => new STSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  );
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await client.send(new GetCallerIdentityCommand({}));
        if (samples) samples.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  for (const client of clients) client.destroy();
  return elapsed;
}

// The baseline server: answer every request with the fixed document, nothing else.
function baselineHandler(xml) {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
    });
  };
}

const BASELINE_PROCESS = `
const xml = process.argv[1];
const server = require('node:http').createServer(${baselineHandler.toString()}(xml));
server.listen(0, '127.0.0.1', () => console.log('baseline listening on http://127.0.0.1:' + server.address().port));
`;

/** Spawns a server process and resolves with its URL (the last word of its first stdout line). */
function spawnServer(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0)
        resolve({ url: out.slice(0, newline).split(' ').pop(), close: async () => child.kill() });
    });
  });
}

async function startBaseline(xml) {
  if (SEPARATE_PROCESSES) return spawnServer(['-e', BASELINE_PROCESS, xml]);
  const server = createServer(baselineHandler(xml));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

const emulator = SEPARATE_PROCESSES ? await spawnServer([CLI, 'emulator']) : await startEmulator();
const user = await seedUser(emulator.url, { user: 'bench' });
const credentials = { accessKeyId: user.keys[0].accessKeyId, secretAccessKey: user.keys[0].secretAccessKey };
const xml =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  `<UserId>${user.userId}</UserId><Account>${user.accountId}</Account><Arn>${user.arn}</Arn>` +
  '</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId>' +
  '</ResponseMetadata></GetCallerIdentityResponse>\n';
const baseline = await startBaseline(xml);

await drive(emulator.url, credentials, WARMUP);
await drive(baseline.url, credentials, WARMUP);
const results = { emulator: { samples: [], ms: 0 }, baseline: { samples: [], ms: 0 } };
for (let round = 0; round < ROUNDS; round++) {
  results.emulator.ms += await drive(emulator.url, credentials, REQUESTS_PER_ROUND, results.emulator.samples);
  results.baseline.ms += await drive(baseline.url, credentials, REQUESTS_PER_ROUND, results.baseline.samples);
}
await emulator.close();
await baseline.close();

const report = {};
for (const [name, { samples, ms }] of Object.entries(results)) {
  samples.sort((a, b) => a - b);
  report[name] = {
    rps: Math.round((samples.length / ms) * 1000),
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
  };
}
const fmt = (n) => n.toFixed(3).padStart(7);
const where = SEPARATE_PROCESSES ? 'servers in child processes' : 'servers in the benchmark process';
console.log(
  `GetCallerIdentity, ${CLIENTS} concurrent SDK clients, loopback, ${where}, ${ROUNDS}x${REQUESTS_PER_ROUND} each`,
);
console.log('                     req/s     p50 ms   p90 ms   p99 ms');
for (const [name, r] of Object.entries(report)) {
  console.log(
    `  ${name.padEnd(16)} ${String(r.rps).padStart(7)}  ${fmt(r.p50)}  ${fmt(r.p90)}  ${fmt(r.p99)}`,
  );
}
const ratio = report.emulator.p50 / report.baseline.p50;
console.log(
  `  ratio emulator/baseline: p50 ${ratio.toFixed(2)}x, req/s ${(report.emulator.rps / report.baseline.rps).toFixed(2)}x`,
);
const met = report.emulator.p50 < 2;
console.log(`  target p50 < 2 ms: ${met ? 'met' : 'MISSED'} (${report.emulator.p50.toFixed(3)} ms)`);
process.exitCode = met ? 0 : 1;
