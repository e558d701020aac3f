// seedUser: one call that gives a test (or `keyrot emulator seed`) a user with keys, in-process or over
// the admin HTTP route of an emulator running elsewhere on this machine.
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SeededUser, SeedUserInput } from './admin.js';
import { ADMIN_PREFIX } from './admin-http.js';
import type { RunningEmulator } from './server.js';

/** Seeds a user in an emulator given by its URL (admin HTTP route) or as a RunningEmulator (in-process). */
export async function seedUser(target: string | RunningEmulator, input: SeedUserInput): Promise<SeededUser> {
  if (typeof target !== 'string') return target.admin.seedUser(input);
  const url = new URL(`${ADMIN_PREFIX}seed`, target);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
  } catch (error) {
    throw new KeyrotError('EMULATOR_FAILED', `cannot reach the emulator at ${url.origin}`, {
      cause: error,
      hint: 'Start it with `keyrot emulator` and pass the URL it prints.',
    });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyrotError(
      'EMULATOR_FAILED',
      `${url.origin} did not answer as a keyrot emulator (HTTP ${response.status})`,
    );
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } }).error;
    const code = error?.code === 'USAGE' ? 'USAGE' : 'EMULATOR_FAILED';
    throw new KeyrotError(code, error?.message ?? `seeding failed (HTTP ${response.status})`);
  }
  return json as SeededUser;
}
