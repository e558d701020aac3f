// The HTTP server: reads each request, applies injected faults and latency, and sends the reply the
// router produced. Admin requests go to the admin route, from loopback peers (and never browsers) only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyrotError } from '../errors/keyrot-error.js';
import { type Clock, systemClock } from '../time/clock.js';
import { createAdmin, type EmulatorAdmin } from './admin.js';
import { ADMIN_PREFIX, adminRefusal, handleAdminRequest } from './admin-http.js';
import { FaultPlan, type FaultSpec } from './faults.js';
import { type ApiReply, faultReply, handleApiRequest, routeRequest } from './router.js';
import type { EmulatorRuntime } from './runtime.js';
import type { ReceivedRequest } from './sigv4.js';
import { EmulatorState } from './state.js';

/** Options of startEmulator. */
export interface EmulatorOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Persist users and keys to this file (0600); without it state lives in memory. */
  statePath?: string;
  /** Eventual-consistency window for key changes, in ms (default 0). */
  propagationDelayMs?: number;
  /** Latency added to every API response, in ms (default 0). */
  latencyMs?: number;
  /** How long a key's use stays invisible to GetAccessKeyLastUsed, in ms (default 0; IAM's lags by hours). */
  lastUsedDelayMs?: number;
  /**
   * Accept an MFA code that was already used (default false: like AWS, a code is good once, so a second
   * MFA session within the same 30 s needs the next code). For tests that need many sessions quickly.
   */
  allowMfaCodeReuse?: boolean;
  /** Faults to inject (`ACTION:KIND[:COUNT]` or spec objects). */
  faults?: (FaultSpec | string)[];
  /** The emulator's notion of now (inject to skew time in tests). */
  clock?: Clock;
  /** Account id for a new state (default: random); a loaded state keeps its own. */
  accountId?: string;
  /** Called after every API request, for logs; never receives secrets. */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** One served API request, for logs. */
export interface RequestLogEntry {
  service: string;
  action: string | undefined;
  status: number | 'reset' | 'timeout';
  errorCode?: string;
  fault?: string;
  durationMs: number;
}

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as the IAM and STS endpoint). */
  url: string;
  port: number;
  /** In-process seeding and control. */
  admin: EmulatorAdmin;
  /** Stops listening, drops open connections (including held `timeout` ones) and flushes state. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Starts the IAM/STS emulator and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const runtime: EmulatorRuntime = {
    state: await EmulatorState.open(options.statePath, options.accountId),
    clock: options.clock ?? systemClock,
    faults: new FaultPlan(options.faults ?? []),
    propagationDelayMs: options.propagationDelayMs ?? 0,
    latencyMs: options.latencyMs ?? 0,
    lastUsedDelayMs: options.lastUsedDelayMs ?? 0,
    allowMfaCodeReuse: options.allowMfaCodeReuse ?? false,
    requestCounts: new Map(),
  };
  const admin = createAdmin(runtime);
  const server = createServer((req, res) => {
    serve(runtime, admin, req, res, options.onRequest).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new KeyrotError('EMULATOR_FAILED', `the emulator cannot listen on ${host}:${options.port ?? 0}`, {
          cause: error,
          hint: 'Pick another --port (0 picks a free one) or --host.',
        }),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    admin,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await runtime.state.close();
      await closed;
    },
  };
}

async function serve(
  runtime: EmulatorRuntime,
  admin: EmulatorAdmin,
  req: IncomingMessage,
  res: ServerResponse,
  onRequest: EmulatorOptions['onRequest'],
): Promise<void> {
  const started = performance.now();
  const body = await readBody(req);
  if (body === ABORTED) return;
  if (body === TOO_LARGE) {
    res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large\n');
    return;
  }
  const target = req.url ?? '/';
  if (target.startsWith(ADMIN_PREFIX)) {
    const refusal = adminRefusal(req.socket.remoteAddress, req.headers);
    if (refusal) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`${refusal}\n`);
      return;
    }
    const url = new URL(target, 'http://emulator');
    const reply = await handleAdminRequest(admin, req.method ?? 'GET', url, body);
    res
      .writeHead(reply.status, { 'content-type': 'application/json' })
      .end(`${JSON.stringify(reply.json)}\n`);
    return;
  }

  const request = receivedRequest(req, target, body);
  const routed = routeRequest(request);
  const action = routed.action;
  if (action) runtime.requestCounts.set(action, (runtime.requestCounts.get(action) ?? 0) + 1);
  const fault = action ? runtime.faults.take(action) : undefined;
  const log = (status: RequestLogEntry['status'], errorCode?: string) =>
    onRequest?.({
      service: routed.service,
      action,
      status,
      errorCode,
      fault,
      durationMs: performance.now() - started,
    });

  if (fault === 'reset' || fault === 'timeout') {
    await sleepLatency(runtime);
    if (fault === 'reset') req.socket.destroy();
    // A timeout holds the request open: no reply until the client gives up or the emulator closes.
    log(fault);
    return;
  }
  let reply: ApiReply;
  if (fault === '500' || fault === 'throttle') {
    reply = faultReply(routed.service, fault);
  } else {
    reply = await handleApiRequest(routed, request, runtime);
  }
  await sleepLatency(runtime);
  if (fault === 'reset-after' || fault === 'timeout-after') {
    if (fault === 'reset-after') req.socket.destroy();
    log(fault === 'reset-after' ? 'reset' : 'timeout', reply.errorCode);
    return;
  }
  res.writeHead(reply.status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(reply.body),
    'x-amzn-requestid': reply.requestId,
    // The SDK corrects its clock from this header, as with AWS: give the emulator's own time.
    date: runtime.clock.now().toUTCString(),
  });
  res.end(reply.body);
  log(reply.status, reply.errorCode);
}

function sleepLatency(runtime: EmulatorRuntime): Promise<void> {
  return runtime.latencyMs > 0 ? runtime.clock.sleep(runtime.latencyMs) : Promise.resolve();
}

const TOO_LARGE = Symbol('too large');
const ABORTED = Symbol('aborted');

/** The request body as text; TOO_LARGE past 1 MiB; ABORTED when the client went away first. */
function readBody(req: IncomingMessage): Promise<string | typeof TOO_LARGE | typeof ABORTED> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? TOO_LARGE : Buffer.concat(chunks).toString('utf8')));
    // 'close' before 'end' means the peer aborted; resolving after 'end' is a no-op.
    req.on('close', () => resolve(ABORTED));
    req.on('error', () => resolve(ABORTED));
  });
}

function receivedRequest(req: IncomingMessage, target: string, body: string): ReceivedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // Split the request target by hand: a WHATWG URL parse per request costs more than the rest of routing.
  const mark = target.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (mark >= 0) {
    for (const [name, value] of new URLSearchParams(target.slice(mark + 1))) {
      const previous = query[name];
      query[name] =
        previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
  }
  const path = decodeURIComponentSafe(mark >= 0 ? target.slice(0, mark) : target);
  return { method: req.method ?? 'GET', path, query, headers, body };
}

function decodeURIComponentSafe(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
