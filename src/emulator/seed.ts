// seedUser: one call that gives a test (or `keyrot emulator seed`) a user with keys, in-process or over
// the admin HTTP route of an emulator running elsewhere on this machine.
import { request as httpRequest } from 'node:http';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SeededUser, SeedUserInput } from './admin.js';
import { ADMIN_PREFIX } from './admin-http.js';
import type { RunningEmulator } from './server.js';

/** Seeds a user in an emulator given by its URL (admin HTTP route) or as a RunningEmulator (in-process). */
export async function seedUser(target: string | RunningEmulator, input: SeedUserInput): Promise<SeededUser> {
  if (typeof target !== 'string') return target.admin.seedUser(input);
  const url = new URL(`${ADMIN_PREFIX}seed`, target);
  let response: AdminResponse;
  try {
    response = await adminRequest(url, 'POST', JSON.stringify(input));
  } catch (error) {
    throw new KeyrotError('EMULATOR_FAILED', `cannot reach the emulator at ${url.origin}`, {
      cause: error,
      hint: 'Start it with `keyrot emulator` and pass the URL it prints.',
    });
  }
  const text = response.text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyrotError(
      'EMULATOR_FAILED',
      `${url.origin} did not answer as a keyrot emulator (HTTP ${response.status})`,
    );
  }
  if (response.status !== 200) {
    const error = (json as { error?: { code?: string; message?: string } }).error;
    const code = error?.code === 'USAGE' ? 'USAGE' : 'EMULATOR_FAILED';
    throw new KeyrotError(code, error?.message ?? `seeding failed (HTTP ${response.status})`);
  }
  return json as SeededUser;
}

/** An admin route's answer. */
export interface AdminResponse {
  status: number;
  text: string;
}

/**
 * One request to an emulator's admin route over node:http. Not fetch(): it sends `Sec-Fetch-Mode`, as a
 * browser does, and the admin route refuses anything that looks like a browser.
 */
export function adminRequest(url: URL, method: string, body?: string): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.end(body);
  });
}
