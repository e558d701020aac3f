// A world (world.ts) as the daemon and tray suites need it: a user seeded in the world's emulator whose
// key sits in profile `dev` of ~/.aws/credentials, `dev` in ~/.aws/config, and keyrot's config.ini
// watching `dev`; and the daemon's rotation checker for any world, run in this process.
import { createRotationDeps } from '../../src/commands/rotation-deps.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { type RotationChecker, rotationChecker } from '../../src/daemon/rotation-checker.js';
import type { SeededUser } from '../../src/emulator/index.js';
import { type Logger, nullLogger } from '../../src/log/logger.js';
import type { Clock } from '../../src/time/clock.js';
import { createWorld, profileBlock, type World } from './world.js';

/** A world whose profile `dev` holds the seeded user's key. */
export interface DaemonWorld extends World {
  user: SeededUser;
}

/** Sets up a world whose `dev` key is `keyAgeDays` old (config.ini: `configIni` in `[profile dev]`). */
export async function createDaemonWorld(options: {
  keyAgeDays: number;
  configIni?: string;
  user?: string;
  secondKey?: 'none' | 'active' | 'inactive';
  /** The user gets a virtual MFA device and the "manage own keys only with MFA" policy. */
  mfa?: boolean;
}): Promise<DaemonWorld> {
  const world = await createWorld({
    label: 'daemon',
    env: {
      AWS_REGION: 'us-east-1',
      KEYROT_PROPAGATION_TIMEOUT_MS: '10000',
      KEYROT_AWS_MAX_ATTEMPTS: '1',
    },
  });
  world.env.AWS_SHARED_CREDENTIALS_FILE = world.credentialsFile;
  world.env.AWS_CONFIG_FILE = world.configFile;
  const user = await world.seed(options.user ?? 'alice', {
    keyAgeDays: options.keyAgeDays,
    secondKey: options.secondKey ?? 'none',
    mfa: options.mfa ?? false,
  });
  await world.writeCredentials(`# my keys\n${profileBlock('dev', user.keys[0]!)}`);
  const mfaSerial = user.mfa ? `mfa_serial = ${user.mfa.serial}\n` : '';
  await world.writeConfig(`[profile dev]\nregion = us-east-1\n${mfaSerial}`);
  await world.writeKeyrotConfig(`[profile dev]\n${options.configIni ?? ''}`);
  return { ...world, user };
}

/**
 * The daemon's rotation checker for `w`, in this process, with the real rotation wiring
 * (createRotationDeps: keychain, files, SDK, desktop notifier) over the world's config.ini; what a
 * rotation prints goes to this process's streams. `clock` moves the rotations' time.
 */
export async function worldRotationChecker(
  w: World,
  options: { logger?: Logger; clock?: Clock } = {},
): Promise<RotationChecker> {
  const settings = await loadSettings({ env: w.env });
  const io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: false,
    env: w.env,
  };
  const { clock } = options;
  return rotationChecker(
    (wiring) =>
      createRotationDeps(
        { globals: { verbose: false }, io },
        settings,
        clock ? { ...wiring, clock } : wiring,
      ),
    settings,
    options.logger ?? nullLogger,
  );
}
