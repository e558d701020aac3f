import { describe } from 'vitest';

/**
 * Returns `describe` when a real part (AWS CLI, Secret Service, dunst, systemd…) is available, else
 * `describe.skip` after printing why. Under CI (`CI=true`) a missing part throws: a skipped real-part
 * suite must never pass silently there.
 */
export function requireRealPart(name: string, available: boolean, reason: string): typeof describe {
  if (available) return describe;
  const message = `real part "${name}" unavailable: ${reason}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: real-part suites may not skip)`);
  process.stderr.write(`[skip] ${message}\n`);
  return describe.skip as unknown as typeof describe;
}
