// Runs keyrot once under scripts/bench/trace-preload.mjs and prints where its time went: node's own
// start, loading, each keychain call (with its D-Bus round trips), each HTTP request and each fsync, in
// the order they started, then the time of each kind (overlaps counted once). Not a benchmark itself.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchNode, cliPath, timed } from './cli-runs.mjs';

const PRELOAD = fileURLToPath(new URL('./trace-preload.mjs', import.meta.url));

/** Total length of the union of [start, end) intervals. */
function covered(spans) {
  let total = 0;
  let reach = Number.NEGATIVE_INFINITY;
  for (const { start, end } of [...spans].sort((a, b) => a.start - b.start)) {
    if (end <= reach) continue;
    total += end - Math.max(start, reach);
    reach = end;
  }
  return total;
}

/** Runs `keyrot args` with the trace preload; returns the trace and the run's wall/CPU time. */
export async function traceRun(args, env) {
  const file = join(tmpdir(), `keyrot-bench-trace-${randomBytes(6).toString('hex')}.json`);
  try {
    const run = await timed(benchNode, ['--import', PRELOAD, cliPath, ...args], {
      ...env,
      KEYROT_TRACE_FILE: file,
    });
    if (run.code !== 0) throw new Error(`keyrot ${args.join(' ')} exited ${run.code}:\n${run.out}`);
    return { run, trace: JSON.parse(readFileSync(file, 'utf8')) };
  } finally {
    rmSync(file, { force: true });
  }
}

/** The breakdown of one traced run as lines of text. */
export function breakdown({ run, trace }, command) {
  const lines = [];
  const ms = (x) => `${x.toFixed(1).padStart(7)} ms`;
  const marks = Object.fromEntries(
    trace.events.filter((e) => e.kind === 'mark').map((e) => [e.name, e.start]),
  );
  const cliStart = Object.entries(marks).find(([name]) => name.startsWith('cli starts'))?.[1];
  const commandStart = Object.entries(marks).find(([name]) => name.startsWith(`${command} starts`))?.[1];
  lines.push(
    `one traced \`keyrot ${command}\`: wall ${run.ms.toFixed(0)} ms, CPU ${run.cpuMs.toFixed(0)} ms`,
  );
  lines.push(`  ${ms(trace.bootstrapComplete)}  process start (node's bootstrap; what node -e 0 pays)`);
  lines.push(
    `  ${ms(trace.preloaded - trace.bootstrapComplete)}  (this trace's own preload; not keyrot's, left out below)`,
  );
  const parsed = Object.entries(marks).find(([name]) => name.startsWith('the command is parsed'))?.[1];
  if (cliStart !== undefined) lines.push(`  ${ms(cliStart - trace.preloaded)}  module load: the bin`);
  const restLoaded = Object.entries(marks).find(([name]) =>
    name.startsWith('the rest of the CLI is loaded'),
  )?.[1];
  if (parsed !== undefined && cliStart !== undefined && commandStart !== undefined) {
    // The bin loads the rest of the CLI (src/cli.ts), which parses the command line: on a fast path with
    // its own few lines, else with commander.
    if (restLoaded !== undefined) {
      lines.push(`  ${ms(restLoaded - cliStart)}  module load: the rest of the CLI`);
      lines.push(`  ${ms(parsed - restLoaded)}  the command line parsed (commander only off the fast paths)`);
    } else lines.push(`  ${ms(parsed - cliStart)}  the command line parsed`);
    lines.push(`  ${ms(commandStart - parsed)}  module load: the ${command} command's bundle`);
  } else if (commandStart !== undefined && cliStart !== undefined)
    lines.push(`  ${ms(commandStart - cliStart)}  module load: the ${command} command's modules`);
  const work = trace.events
    .filter((e) => e.kind !== 'mark' && e.kind !== 'dbus')
    .sort((a, b) => a.start - b.start);
  const dbus = trace.events.filter((e) => e.kind === 'dbus');
  for (const event of work) {
    const inside = dbus.filter((d) => d.start >= event.start && d.end <= event.end);
    const detail = inside.length
      ? ` (${inside.length} D-Bus: ${inside.map((d) => d.name.slice(6)).join(', ')})`
      : '';
    lines.push(
      `  ${ms(event.end - event.start)}  at ${event.start.toFixed(0).padStart(4)} ms  ${event.name}${detail}`,
    );
  }
  const from = commandStart ?? trace.preloaded;
  const kinds = ['keychain', 'http', 'fsync'];
  const totals = Object.fromEntries(kinds.map((k) => [k, covered(trace.events.filter((e) => e.kind === k))]));
  const of = (...ks) => trace.events.filter((e) => ks.includes(e.kind));
  // D-Bus round trips outside any keychain call (connect, Hello, OpenSession): pending I/O too.
  const dbusOutside = covered(of('keychain', 'dbus')) - totals.keychain;
  // `keyrot credentials` waiting for the daemon's agent (src/agent/client.ts): pending I/O too.
  const agent = of('agent');
  const waiting = covered(of(...kinds, 'dbus', 'agent'));
  // Bundles loaded after the command started (the AWS SDK's): JS too, but loading, not the command's
  // work; only the part while nothing was pending counts in JS alone (the rest overlapped I/O).
  const loads = of('load');
  const loading = loads.length
    ? `, of which loading ${loads.map((e) => e.name.slice(5)).join(', ')} ${(covered(of(...kinds, 'dbus', 'load')) - waiting).toFixed(0)} ms ` +
      `(its ${covered(loads).toFixed(0)} ms less what overlapped pending I/O)`
    : '';
  const count = (k) => trace.events.filter((e) => e.kind === k).length;
  lines.push(
    `  totals from the command's start to exit (${(trace.exit - from).toFixed(0)} ms): keychain ${totals.keychain.toFixed(0)} ms ` +
      `(${count('keychain')} calls, ${count('dbus')} D-Bus round trips; D-Bus outside the calls ${dbusOutside.toFixed(0)} ms), ` +
      `HTTP ${totals.http.toFixed(0)} ms (${count('http')} requests), fsync ${totals.fsync.toFixed(0)} ms (${count('fsync')}); ` +
      (agent.length ? `the daemon's agent ${covered(agent).toFixed(0)} ms; ` : '') +
      `JS alone (none of those pending) ${(trace.exit - from - waiting).toFixed(0)} ms${loading}`,
  );
  return lines;
}

/**
 * What one traced run cannot go below whatever keyrot's JavaScript did: a bare node start, the durable
 * keychain writes (each CreateItem or Delete makes gnome-keyring rewrite its keyring file, and the
 * rotation protocol orders them), the HTTP requests and the fsyncs, end to end with no overlap, then the
 * same with the loading of the code that runs (the bin, the CLI, the command's bundle, the AWS SDK).
 */
export function floorLines({ trace }, command, bareMs) {
  const sum = (events) => events.reduce((total, e) => total + (e.end - e.start), 0);
  const writes = trace.events.filter((e) => e.name === 'D-Bus CreateItem' || e.name === 'D-Bus Delete');
  const http = trace.events.filter((e) => e.kind === 'http');
  const fsyncs = trace.events.filter((e) => e.kind === 'fsync');
  const commandStart = trace.events.find((e) => e.kind === 'mark' && e.name.startsWith(`${command} starts`));
  const loads = trace.events.filter((e) => e.kind === 'load');
  const io = sum(writes) + sum(http) + sum(fsyncs);
  const loading = (commandStart ? commandStart.start - trace.preloaded : 0) + sum(loads);
  const ratio = (ms) => `${(ms / bareMs).toFixed(2)}x`;
  const floor = bareMs + io;
  return [
    `floor of this run's I/O end to end (the protocol orders all but one request after a write): node -e 0 ${bareMs.toFixed(0)} ms + ${writes.length} durable keychain writes ` +
      `${sum(writes).toFixed(0)} ms + ${http.length} HTTP requests ${sum(http).toFixed(0)} ms + ${fsyncs.length} fsyncs ` +
      `${sum(fsyncs).toFixed(1)} ms = ${floor.toFixed(0)} ms = ${ratio(floor)} node -e 0`,
    `  with loading the code that runs (${loading.toFixed(0)} ms: bin, CLI, command bundle, AWS SDK): ` +
      `${(floor + loading).toFixed(0)} ms = ${ratio(floor + loading)}`,
  ];
}
