// The admin HTTP route (`/__keyrot/admin/...`, JSON in and out) behind `keyrot emulator seed`.
// The server answers it only for loopback peers.
import { isKeyrotError } from '../errors/keyrot-error.js';
import type { EmulatorAdmin, SeedUserInput } from './admin.js';

/** Path prefix of the admin route. */
export const ADMIN_PREFIX = '/__keyrot/admin/';

/** A JSON reply of the admin route. */
export interface AdminReply {
  status: number;
  json: unknown;
}

/** True for loopback peer addresses (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}

/**
 * Handles one admin request: `POST seed` (SeedUserInput → SeededUser), `POST faults` ({spec}),
 * `DELETE faults`, `GET faults`, `POST settings` ({propagationDelayMs?, latencyMs?}), `GET keys?user=`.
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
