// `keyrot protect` and `keyrot unprotect`: a profile's static key moves from the AWS files into the OS
// keychain, and the AWS tools get it from `keyrot credentials` through credential_process; and back.
// Each run goes in an order where every instant works (docs/rotation-protocol.md, "Protected profiles"):
// the static key lines win over credential_process in both the AWS CLI and the SDK, so the key is in
// the keychain before the config line is written, and the config line is there before the key lines go.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import {
  keyrotCredentialProcess,
  keyrotProcessProfile,
  removeCredentialProcess,
  removeEmptyFile,
  removeProfileLines,
  restoreStaticKeys,
  STATIC_KEY_LINES,
  setCredentialProcess,
} from '../credentials/credential-process.js';
import { appendLead, SharedFileDocument } from '../credentials/document.js';
import { mergedProfileValues, readSharedFiles, type SharedFilesReading } from '../credentials/index.js';
import { type AwsFilePaths, resolveAwsFilePaths } from '../credentials/paths.js';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import { maskKeyId } from '../errors/redact.js';
import { checkReplaceable } from '../fs/replaceable.js';
import { BackupStore } from '../keychain/backups.js';
import { type Keychain, openKeychain } from '../keychain/open-keychain.js';
import {
  type ProtectedKey,
  ProtectedKeys,
  type ProtectionOrigin,
  type ProtectionPhase,
} from '../keychain/protected-key.js';
import { acquireLock, namedLockPath } from '../lock/index.js';
import { classifyProfile, profileRefusal } from '../rotation/profile-kind.js';
import { keyrotEntryPath } from '../service/entry-path.js';
import type { CommandContext } from './context.js';
import { ROTATION_LOCK_WAIT_MS } from './rotation-deps.js';

/** Options of `keyrot protect` and `keyrot unprotect`. */
export interface ProtectInput {
  profile: string;
}

/** What both commands work with. */
interface Protection {
  paths: AwsFilePaths;
  keychain: Keychain;
  keys: ProtectedKeys;
  backups: BackupStore;
  /** Takes the rotation's lock of `keyId`: a protection and a rotation of one key never overlap. */
  lockKey(keyId: string): Promise<() => Promise<void>>;
}

/**
 * `keyrot protect --profile P`: moves P's static key (and every profile holding the same key) into the
 * OS keychain. Resumes an unfinished protect of P; a protected profile is reported as such.
 */
export async function protectCommand(input: ProtectInput, ctx: CommandContext): Promise<ExitCodeValue> {
  const protection = await openProtection(ctx);
  try {
    const { paths, keys } = protection;
    const reading = await readSharedFiles(paths);
    const settings = mergedProfileValues(reading, input.profile);
    const entry = await keys.get(input.profile, paths.configFile);
    const key = staticKeyOf(settings) ?? (isOurs(settings, input.profile) ? entry : null);
    if (!key) throw refusal(reading, input.profile, paths);
    const release = await protection.lockKey(key.accessKeyId);
    try {
      const now = await readSharedFiles(paths);
      const current = staticKeyOf(mergedProfileValues(now, input.profile));
      if (current && current.accessKeyId !== key.accessKeyId) {
        // A rotation replaced the key while this run waited for its lock: nothing was changed yet.
        throw new KeyrotError(
          'FILE_CHANGED_CONCURRENTLY',
          `profile "${input.profile}" got a new key while keyrot waited to protect it`,
          { hint: `Run \`keyrot protect --profile ${input.profile}\` again to protect the new key.` },
        );
      }
      const profiles = holders(now, key.accessKeyId, input.profile);
      const done = await allInPhase(keys, profiles, paths, 'protected');
      if (done && profiles.every((p) => !staticKeyOf(mergedProfileValues(now, p)))) {
        ctx.io.stdout.write(`profile ${profiles.join(', ')} is already protected\n`);
        return ExitCode.ok;
      }
      await preflight(paths);
      await backUp(protection, `before protecting profile ${input.profile}`);
      const origins = await originsOf(keys, profiles, paths, now);
      await putAll(keys, profiles, paths, key, 'protecting', origins);
      const command = commandLine();
      await setCredentialProcess(
        paths.configFile,
        profiles.map((profile) => ({ profile, command: command(profile) })),
      );
      await removeProfileLines(
        { path: paths.credentialsFile, kind: 'credentials' },
        profiles,
        STATIC_KEY_LINES,
      );
      await removeProfileLines({ path: paths.configFile, kind: 'config' }, profiles, STATIC_KEY_LINES);
      const after = await readSharedFiles(paths);
      for (const profile of profiles) {
        const values = mergedProfileValues(after, profile);
        if (staticKeyOf(values) || !isOurs(values, profile)) {
          throw new KeyrotError(
            'FILE_CHANGED_CONCURRENTLY',
            `profile "${profile}" changed while keyrot protected it`,
            {
              hint: `Run \`keyrot protect --profile ${input.profile}\` again; the key is safe in the keychain.`,
            },
          );
        }
      }
      await putAll(keys, profiles, paths, key, 'protected', origins);
      ctx.io.stdout.write(
        `protected profile ${profiles.join(', ')}: key ${maskKeyId(key.accessKeyId)} is in ${protection.keychain.location}, no longer in ${paths.credentialsFile}\n`,
      );
      return ExitCode.ok;
    } finally {
      await release();
    }
  } finally {
    await protection.keychain.close?.();
  }
}

/**
 * `keyrot unprotect --profile P`: puts the key of P (and of every profile protected with the same key)
 * back into the credentials file, removes their credential_process lines, then their keychain entries.
 */
export async function unprotectCommand(input: ProtectInput, ctx: CommandContext): Promise<ExitCodeValue> {
  const protection = await openProtection(ctx);
  try {
    const { paths, keys } = protection;
    const entry = await keys.get(input.profile, paths.configFile);
    if (!entry) {
      const settings = mergedProfileValues(await readSharedFiles(paths), input.profile);
      if (staticKeyOf(settings)) {
        ctx.io.stdout.write(`profile ${input.profile} is not protected\n`);
        return ExitCode.ok;
      }
      throw new KeyrotError(
        'PROFILE_NOT_FOUND',
        `keyrot holds no protected key for profile "${input.profile}"`,
        {
          hint: `Looked in ${protection.keychain.location} for the profile of ${paths.configFile}.`,
        },
      );
    }
    const release = await protection.lockKey(entry.accessKeyId);
    try {
      // The entry again under the lock: a rotation may have replaced the key meanwhile.
      const key = (await keys.get(input.profile, paths.configFile)) ?? entry;
      const reading = await readSharedFiles(paths);
      const entries = [key];
      for (const [name, values] of reading.config) {
        if (name === input.profile || !isOurs(values, name)) continue;
        const other = await keys.get(name, paths.configFile);
        if (other?.accessKeyId === key.accessKeyId) entries.push(other);
      }
      const profiles = entries.map((e) => e.profile);
      await preflight(paths);
      await backUp(protection, `before unprotecting profile ${input.profile}`);
      for (const entry of entries) await keys.put({ ...entry, ...secretOf(key), phase: 'unprotecting' });
      // Each key goes back to the file it came from (the credentials file for entries older than origin).
      const inConfig = entries.filter((e) => e.origin?.keyIn === 'config').map((e) => e.profile);
      const inCredentials = profiles.filter((p) => !inConfig.includes(p));
      if (inCredentials.length > 0)
        await restoreStaticKeys({ path: paths.credentialsFile, kind: 'credentials' }, inCredentials, key);
      // The config file's keys come back in the write that takes credential_process out (it would refuse them).
      await removeCredentialProcess(
        paths.configFile,
        entries.map((e) => ({
          profile: e.profile,
          keyInConfig: inConfig.includes(e.profile),
          addedSection: e.origin?.addedSection,
        })),
        key,
      );
      // A config file protect created holds nothing of the person's once its sections are out.
      if (entries.some((e) => e.origin?.createdConfigFile)) await removeEmptyFile(paths.configFile);
      const after = await readSharedFiles(paths);
      for (const profile of profiles) {
        if (staticKeyOf(mergedProfileValues(after, profile))?.accessKeyId !== key.accessKeyId) {
          throw new KeyrotError(
            'FILE_CHANGED_CONCURRENTLY',
            `profile "${profile}" changed while keyrot unprotected it`,
            {
              hint: `Run \`keyrot unprotect --profile ${input.profile}\` again; the key is still in the keychain.`,
            },
          );
        }
      }
      // The profile named last: until its entry goes, a run of `unprotect --profile P` finds the others.
      for (const profile of [...profiles.slice(1), profiles[0]!])
        await keys.delete(profile, paths.configFile);
      ctx.io.stdout.write(
        `unprotected profile ${profiles.join(', ')}: key ${maskKeyId(key.accessKeyId)} is back in ${[
          ...(inCredentials.length > 0 ? [paths.credentialsFile] : []),
          ...(inConfig.length > 0 ? [paths.configFile] : []),
        ].join(' and ')}\n`,
      );
      return ExitCode.ok;
    } finally {
      await release();
    }
  } finally {
    await protection.keychain.close?.();
  }
}

async function openProtection(ctx: CommandContext): Promise<Protection> {
  const env = ctx.io.env;
  const settings = await loadSettings({ path: ctx.globals.config, env });
  if (settings.keychain !== 'os') {
    throw new KeyrotError(
      'USAGE',
      'keyrot protect keeps keys in the OS keychain, and config.ini says `keychain = file`',
      {
        hint: 'A key in a plain file is what protect moves away from: use `keychain = os` to protect profiles.',
      },
    );
  }
  const found = resolveAwsFilePaths(env, {
    credentialsFile: ctx.globals.credentialsFile,
    configFile: ctx.globals.awsConfigFile,
  });
  const paths = { credentialsFile: resolve(found.credentialsFile), configFile: resolve(found.configFile) };
  const stateDir = keyrotPaths(env).stateDir;
  const keychain = await openKeychain({ env, backend: 'os', stateDir });
  const lockDir = join(stateDir, 'locks');
  return {
    paths,
    keychain,
    keys: new ProtectedKeys(keychain.values.store),
    backups: new BackupStore(keychain.values, { keep: settings.backupsKeep }),
    async lockKey(keyId) {
      await mkdir(lockDir, { recursive: true, mode: 0o700 });
      let waited = false;
      return acquireLock(namedLockPath(lockDir, 'key', keyId), {
        wait: true,
        timeoutMs: Number(env.KEYROT_LOCK_WAIT_MS) || ROTATION_LOCK_WAIT_MS,
        purpose: 'keyrot protect',
        // Once: a rotation of the key (the daemon's, say) holds it; say why this run is not moving.
        onWait: ({ holder }) => {
          if (waited) return;
          waited = true;
          const who = holder ? `${holder.purpose}, pid ${holder.pid}` : 'another keyrot process';
          ctx.io.stderr.write(`keyrot: waiting for ${who} to finish with key ${maskKeyId(keyId)}\n`);
        },
      });
    },
  };
}

/** The profile's static key, when it has one in the files. */
function staticKeyOf(
  settings: Record<string, string> | undefined,
): { accessKeyId: string; secretAccessKey: string } | null {
  if (!settings || classifyProfile('', settings).kind !== 'static') return null;
  return { accessKeyId: settings.aws_access_key_id!, secretAccessKey: settings.aws_secret_access_key! };
}

/** Whether the profile's credential_process is keyrot's, for this very profile. */
function isOurs(settings: Record<string, string> | undefined, profile: string): boolean {
  return keyrotProcessProfile(settings?.credential_process) === profile;
}

/** Why `profile` cannot be protected: its refusal as a rotation would word it. */
function refusal(reading: SharedFilesReading, profile: string, paths: AwsFilePaths): KeyrotError {
  const { error } = profileRefusal(reading, profile, paths);
  if (error && error.code !== 'UNSUPPORTED_PROFILE') return error;
  return new KeyrotError(
    'UNSUPPORTED_PROFILE',
    `profile "${profile}" holds no static key keyrot can protect`,
    {
      hint: isOurs(mergedProfileValues(reading, profile), profile)
        ? 'Its credential_process runs keyrot, but the keychain holds no key for it: put the key back (`keyrot backup list`, `keyrot backup restore`) and protect it again.'
        : 'Only profiles with aws_access_key_id and aws_secret_access_key can be protected.',
    },
  );
}

/** `profile` and every other profile whose files hold `keyId` (protected together: one key, one place). */
function holders(reading: SharedFilesReading, keyId: string, profile: string): string[] {
  const names = new Set([profile]);
  for (const map of [reading.credentials, reading.config]) {
    for (const name of map.keys()) {
      if (/^(sso-session|services)\./.test(name)) continue;
      if (staticKeyOf(mergedProfileValues(reading, name))?.accessKeyId === keyId) names.add(name);
    }
  }
  return [...names];
}

async function allInPhase(
  keys: ProtectedKeys,
  profiles: string[],
  paths: AwsFilePaths,
  phase: ProtectionPhase,
): Promise<boolean> {
  for (const profile of profiles)
    if ((await keys.get(profile, paths.configFile))?.phase !== phase) return false;
  return true;
}

async function putAll(
  keys: ProtectedKeys,
  profiles: string[],
  paths: AwsFilePaths,
  key: Pick<ProtectedKey, 'accessKeyId' | 'secretAccessKey'>,
  phase: ProtectionPhase,
  origins: Map<string, ProtectionOrigin>,
): Promise<void> {
  for (const profile of profiles) {
    await keys.put({
      v: 1,
      profile,
      configFile: paths.configFile,
      ...secretOf(key),
      phase,
      origin: origins.get(profile),
      updatedAt: new Date().toISOString(),
    });
  }
}

function secretOf(key: Pick<ProtectedKey, 'accessKeyId' | 'secretAccessKey'>) {
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

/**
 * Where each profile's key lines are and whether its config section must be appended, as protect is
 * about to change them; a resumed protect keeps what its first run recorded (its edits may be done).
 */
async function originsOf(
  keys: ProtectedKeys,
  profiles: string[],
  paths: AwsFilePaths,
  reading: SharedFilesReading,
): Promise<Map<string, ProtectionOrigin>> {
  const text = await readFile(paths.configFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  const created = text === null ? ({ createdConfigFile: true } as const) : {};
  const config = new SharedFileDocument(text ?? '', 'config', paths.configFile);
  const origins = new Map<string, ProtectionOrigin>();
  let lead: string | undefined = appendLead(text ?? '');
  for (const profile of profiles) {
    const entry = await keys.get(profile, paths.configFile);
    if (entry?.phase === 'protecting' && entry.origin) {
      origins.set(profile, entry.origin);
      continue;
    }
    const keyIn = reading.credentials.get(profile)?.aws_access_key_id ? 'credentials' : 'config';
    const added = !config.hasProfileHeader(profile);
    // setCredentialProcess appends the missing sections together, only the first after a lead.
    origins.set(profile, added ? { keyIn, addedSection: { lead: lead ?? '' }, ...created } : { keyIn });
    if (added) lead = undefined;
  }
  return origins;
}

/**
 * The rotation's pre-flight of each AWS file that exists (src/fs/replaceable.ts), never allowing a hard
 * link: the atomic rename would split it, and the other name would keep the key and secret.
 */
async function preflight(paths: AwsFilePaths): Promise<void> {
  for (const file of [paths.credentialsFile, paths.configFile]) {
    if (await stat(file).catch(() => null)) await checkReplaceable(file, { probe: true });
  }
}

/** One backup of each AWS file that exists, before the first edit (a file unchanged since its last backup reuses it). */
async function backUp(protection: Protection, reason: string): Promise<void> {
  for (const file of [protection.paths.credentialsFile, protection.paths.configFile]) {
    const bytes = await readFile(file).catch(() => null);
    if (bytes !== null) await protection.backups.backup(bytes, { file, reason });
  }
}

/** The credential_process value of a profile: this node and this keyrot, by absolute path. */
function commandLine(): (profile: string) => string {
  const node = process.execPath;
  const keyrot = keyrotEntryPath();
  return (profile) => keyrotCredentialProcess(node, keyrot, profile);
}
