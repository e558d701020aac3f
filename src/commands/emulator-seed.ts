import { resolveAwsFilePaths, setProfileKey } from '../credentials/index.js';
import type { SeededUser } from '../emulator/admin.js';
import { seedUser } from '../emulator/seed.js';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import { maskUrlUserinfo } from '../errors/redact.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot emulator seed`. */
export interface EmulatorSeedInput {
  endpoint: string;
  user: string;
  keyAgeDays: string;
  secondKey: 'none' | 'active' | 'inactive';
  mfa?: boolean;
  admin?: boolean;
  profile?: string;
  json?: boolean;
}

/** Writes an access key into a profile of a credentials file (the credentials engine's setProfileKey). */
export type ProfileKeyWriter = (request: {
  file: string;
  profile: string;
  accessKeyId: string;
  secretAccessKey: string;
  create: boolean;
}) => Promise<unknown>;

/** Injected effects of the seed command. */
export interface EmulatorSeedDeps {
  writeProfileKey: ProfileKeyWriter;
}

const defaultDeps: EmulatorSeedDeps = {
  // The credentials engine's surgical, locked, atomic edit (creates the file 0600 when absent).
  writeProfileKey: (request) => setProfileKey(request),
};

/**
 * `keyrot emulator seed`: creates a user with a (backdated) key in a running emulator and, with
 * `--profile` or `--credentials-file`, writes that key into the profile. The access secret is printed
 * only when no file was given; the MFA secret (base32) is printed with `--mfa`.
 */
export async function emulatorSeedCommand(
  input: EmulatorSeedInput,
  ctx: CommandContext,
  deps: EmulatorSeedDeps = defaultDeps,
): Promise<ExitCodeValue> {
  const keyAgeDays = Number(input.keyAgeDays);
  if (input.keyAgeDays.trim() === '' || !Number.isFinite(keyAgeDays) || keyAgeDays < 0) {
    throw new KeyrotError(
      'USAGE',
      `--key-age-days must be a number of days, 0 or more, not "${input.keyAgeDays}"`,
    );
  }
  const writeFile = input.profile !== undefined || ctx.globals.credentialsFile !== undefined;
  const target = writeFile
    ? {
        file: resolveAwsFilePaths(ctx.io.env, { credentialsFile: ctx.globals.credentialsFile })
          .credentialsFile,
        profile: input.profile ?? ctx.io.env.AWS_PROFILE ?? 'default',
      }
    : undefined;

  const seeded = await seedUser(input.endpoint, {
    user: input.user,
    keyAgeDays,
    secondKey: input.secondKey,
    mfa: Boolean(input.mfa),
    admin: Boolean(input.admin),
  });
  const primary = seeded.keys[0]!;
  if (target) {
    await deps.writeProfileKey({
      file: target.file,
      profile: target.profile,
      accessKeyId: primary.accessKeyId,
      secretAccessKey: primary.secretAccessKey,
      create: true,
    });
  }
  const { stdout } = ctx.io;
  const endpoint = maskUrlUserinfo(input.endpoint);
  if (input.json) {
    stdout.write(`${JSON.stringify(seedReport(seeded, endpoint, target), null, 2)}\n`);
  } else {
    stdout.write(seedText(seeded, endpoint, target));
  }
  return ExitCode.ok;
}

/** The JSON document of `seed --json`: secrets only when no file was written. */
function seedReport(
  seeded: SeededUser,
  endpoint: string,
  target: { file: string; profile: string } | undefined,
) {
  return {
    endpoint,
    user: seeded.user,
    arn: seeded.arn,
    accountId: seeded.accountId,
    keys: seeded.keys.map((key) => ({
      accessKeyId: key.accessKeyId,
      status: key.status,
      createDate: key.createDate,
      ...(target ? {} : { secretAccessKey: key.secretAccessKey }),
    })),
    ...(seeded.mfa ? { mfa: seeded.mfa } : {}),
    ...(target ? { written: { file: target.file, profile: target.profile } } : {}),
  };
}

function seedText(
  seeded: SeededUser,
  endpoint: string,
  target: { file: string; profile: string } | undefined,
) {
  const lines = [`seeded user ${seeded.user} (${seeded.arn}) in ${endpoint}`];
  for (const key of seeded.keys) {
    lines.push(`  key ${key.accessKeyId}  ${key.status}  created ${key.createDate}`);
    if (!target) lines.push(`    secret ${key.secretAccessKey}`);
  }
  if (seeded.mfa)
    lines.push(`  MFA device ${seeded.mfa.serial}  TOTP secret (base32) ${seeded.mfa.secretBase32}`);
  if (target)
    lines.push(`  wrote key ${seeded.keys[0]!.accessKeyId} to profile [${target.profile}] of ${target.file}`);
  return `${lines.join('\n')}\n`;
}
