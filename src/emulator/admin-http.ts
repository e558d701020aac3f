// The admin HTTP route (`/__keyrot/admin/...`, JSON in and out) behind `keyrot emulator seed`.
// The server answers it only for loopback peers, addressed by a loopback name, and never for a browser.
import { isKeyrotError } from '../errors/keyrot-error.js';
import type { EmulatorAdmin, SeedUserInput } from './admin.js';

/** Path prefix of the admin route. */
export const ADMIN_PREFIX = '/__keyrot/admin/';

/** A JSON reply of the admin route. */
export interface AdminReply {
  status: number;
  json: unknown;
}

/** True for loopback addresses (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}

/** True when a Host header names this machine: `localhost` or a loopback literal, with any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return false;
  }
  if (hostname === 'localhost') return true;
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  // URL writes an IPv4-mapped address in hex: [::ffff:127.0.0.1] becomes [::ffff:7f00:1].
  return isLoopback(bare) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(bare);
}

/**
 * Why an admin request is refused, or undefined when it may be served. Seeding hands out secrets, so a
 * web page must not reach it: not by DNS rebinding (a Host that is not a loopback name) and not at all
 * from a browser (which always sends Origin or Sec-Fetch-* headers; keyrot's own client sends neither).
 */
export function adminRefusal(
  remoteAddress: string | undefined,
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  if (!isLoopback(remoteAddress)) return 'the admin route answers loopback peers only';
  if (!isLoopbackHost(typeof headers.host === 'string' ? headers.host : undefined)) {
    return 'the admin route answers requests addressed to localhost or a loopback address only';
  }
  if (Object.keys(headers).some((name) => name === 'origin' || name.startsWith('sec-fetch-'))) {
    return 'the admin route does not answer browsers (the request has Origin or Sec-Fetch-* headers)';
  }
  return undefined;
}

/**
 * Handles one admin request: `POST seed` (SeedUserInput → SeededUser), `POST faults` ({spec}),
 * `DELETE faults`, `GET faults`, `POST settings` ({propagationDelayMs?, latencyMs?, lastUsedDelayMs?}), `GET keys?user=`.
 */
export async function handleAdminRequest(
  admin: EmulatorAdmin,
  method: string,
  url: URL,
  body: string,
): Promise<AdminReply> {
  const route = `${method} ${url.pathname.slice(ADMIN_PREFIX.length)}`;
  try {
    const input = body.length > 0 ? (JSON.parse(body) as Record<string, unknown>) : {};
    switch (route) {
      case 'POST seed':
        return { status: 200, json: await admin.seedUser(input as unknown as SeedUserInput) };
      case 'POST faults':
        admin.addFault(String(input.spec));
        return { status: 200, json: { faults: admin.faults() } };
      case 'DELETE faults':
        admin.clearFaults();
        return { status: 200, json: { faults: [] } };
      case 'GET faults':
        return { status: 200, json: { faults: admin.faults() } };
      case 'POST settings':
        if (input.propagationDelayMs !== undefined)
          admin.setPropagationDelayMs(Number(input.propagationDelayMs));
        if (input.latencyMs !== undefined) admin.setLatencyMs(Number(input.latencyMs));
        if (input.lastUsedDelayMs !== undefined) admin.setLastUsedDelayMs(Number(input.lastUsedDelayMs));
        return { status: 200, json: {} };
      case 'GET keys':
        return { status: 200, json: { keys: admin.keys(url.searchParams.get('user') ?? undefined) } };
      default:
        return { status: 404, json: { error: { code: 'NOT_FOUND', message: `no admin route ${route}` } } };
    }
  } catch (error) {
    if (error instanceof SyntaxError) {
      return {
        status: 400,
        json: { error: { code: 'USAGE', message: 'the admin request body is not JSON' } },
      };
    }
    if (isKeyrotError(error))
      return { status: 400, json: { error: { code: error.code, message: error.message } } };
    return { status: 500, json: { error: { code: 'INTERNAL', message: 'the admin request failed' } } };
  }
}
