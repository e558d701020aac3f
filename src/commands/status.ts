// `keyrot status`: asks IAM about each profile with its own key, and reads the unfinished rotations from
// the keychain unless the record of an empty journal (src/state/journal-empty.ts) says there are none;
// `--offline` is src/commands/status-offline.ts.
import { preloadAwsSdk } from '../aws/clients.js';
import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { shownProfileKind } from '../credentials/profile-kind.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import { maskKeyId, redactText } from '../errors/redact.js';
import type { Keychain } from '../keychain/open-keychain.js';
import type { ProtectedKeys } from '../keychain/protected-key.js';
import { keychainIdentity } from '../keychain/service-name.js';
import { inspectProfile, type ProfileStatus } from '../rotation/inspect-profile.js';
import type { CredentialFilesPort } from '../rotation/ports.js';
import { journalKnownEmpty } from '../state/journal-empty.js';
import { pauseFilePath, readPauseUntil } from '../state/pause-file.js';
import { readStateFile } from '../state/state-file.js';
import { systemClock } from '../time/clock.js';
import { traceMark } from '../time/trace.js';
import { awsPortsFor } from './aws-ports.js';
import type { CommandContext } from './context.js';
import { credentialFilesPort } from './credential-files-port.js';
import { statusOfflineCommand } from './status-offline.js';
import {
  type PendingRow,
  printStatus,
  profilesShown,
  type StatusInput,
  type StatusRow,
  staleEnvKeyWarning,
} from './status-report.js';

export type { StatusInput, StatusRow } from './status-report.js';

// The keychain's code (the D-Bus client, the value store, the journal) is initialised only when status
// opens the keychain: not when the record of an empty journal says there is nothing to read there.
const keychainReads = () => import('./status-keychain.js');

/** `keyrot status`: kind, masked key, age, due date, the user's keys and the last result of each profile. */
export async function statusCommand(input: StatusInput, ctx: CommandContext): Promise<ExitCodeValue> {
  if (input.offline) return statusOfflineCommand(input, ctx);
  traceMark('status starts (its modules are loaded)');
  const env = ctx.io.env;
  const settings = await loadSettings({ path: ctx.globals.config, env });
  const stateDir = keyrotPaths(env).stateDir;
  const warnings: Warnings = { open: [], journal: [] };
  // The keychain holds the unfinished rotations and the protected profiles' keys. Unless the record of
  // an empty journal says there are no rotations (then it is opened only for a protected profile), its
  // connection is under way while the SDK loads (one synchronous stretch, started once the connect is
  // issued), and the journal is read while IAM answers.
  let opening: Promise<Keychain | undefined> | undefined;
  const journal: JournalAccess = {
    knownEmpty: await journalKnownEmpty(stateDir, keychainIdentity(settings.keychain, env)),
    open: () =>
      (opening ??= keychainReads().then((k) =>
        k.openForStatus(env, settings.keychain, stateDir, warnings.open),
      )),
  };
  if (!journal.knownEmpty) journal.open();
  setImmediate(() => void preloadAwsSdk().catch(() => undefined));
  try {
    return await statusWith(input, ctx, settings, stateDir, journal, warnings);
  } finally {
    await (await opening)?.close?.().catch(() => undefined);
  }
}

/** How status reaches the journal: the record of an empty one, and the keychain, opened once on first use. */
interface JournalAccess {
  /** The record says the journal holds no entry: no need to read it. */
  knownEmpty: boolean;
  open(): Promise<Keychain | undefined>;
}

/** Status's warnings by where they come from, printed in this order with the env key's between. */
interface Warnings {
  open: string[];
  journal: string[];
}

async function statusWith(
  input: StatusInput,
  ctx: CommandContext,
  settings: Settings,
  stateDir: string,
  journal: JournalAccess,
  warnings: Warnings,
): Promise<ExitCodeValue> {
  const env = ctx.io.env;
  let protectedKeys: ProtectedKeys | undefined;
  let opened: Promise<Keychain | undefined> | undefined;
  const open = () =>
    (opened ??= journal.open().then(async (keychain) => {
      if (keychain?.backend === 'os') protectedKeys = (await keychainReads()).protectedKeysOf(keychain);
      return keychain;
    }));
  // Unfinished rotations live in the keychain; none when the record of an empty journal says so.
  const pendingRead: Promise<PendingRow[] | null> = journal.knownEmpty
    ? Promise.resolve([])
    : open().then(async (keychain) =>
        keychain ? (await keychainReads()).pendingRotations(keychain, stateDir, warnings.journal) : null,
      );
  const files = credentialFilesPort(env, ctx.globals, () => protectedKeys);
  const plain = await credentialFilesPort(env, ctx.globals).read();
  const isProtected = (profile: string) => isProtectedProfile(plain, profile);
  const protectedNames = [...plain.config.keys()].filter(isProtected);
  // Protected profiles' keys are in the keychain: the files are read with them once it is open.
  // Without any, IAM is asked at once.
  if (protectedNames.length > 0) await open();
  const shared = protectedNames.length > 0 ? await files.read() : plain;
  const profiles = profilesShown(input, shared.credentials, protectedNames);
  // The files as just read serve every profile's region, endpoints and key: one read of them per run.
  const seen: CredentialFilesPort = { ...files, read: async () => shared };
  const [state, pausedUntil, statuses] = await Promise.all([
    readStateFile(stateDir).catch(() => null),
    // The marker itself, not the state file: the daemon records a pause only at its next tick.
    readPauseUntil(stateDir, systemClock.now()),
    // Every profile at once: each mostly waits for IAM.
    Promise.all(profiles.map((profile) => inspectOnline(ctx, seen, settings, profile, false))),
  ]);
  const userKeys = new Set<string>();
  const rows = statuses.map((status): StatusRow => {
    for (const key of status.keys ?? []) userKeys.add(key.accessKeyId);
    const row: StatusRow = {
      profile: status.profile,
      ...maskedStatus(status),
      lastResult: state?.profiles[status.profile]?.lastResult ?? null,
      oldKeyActive: null,
    };
    // The files as the AWS tools read them, classified as `--offline` does (a protected key is in the keychain).
    row.kind = shownProfileKind(plain, status.profile);
    return row;
  });

  const envWarning = staleEnvKeyWarning(env, shared.credentials, userKeys);
  const pending = await pendingRead;
  // Online, the journal says which old keys are still in their grace window.
  for (const p of pending ?? []) {
    const row = p.retireAt ? rows.find((r) => r.keyId !== null && r.keyId === p.newKeyId) : undefined;
    if (row) row.oldKeyActive = { keyId: p.oldKeyId, until: p.retireAt!, waiting: p.useSeenAt !== null };
  }

  printStatus(
    {
      offline: false,
      pausedUntil,
      pauseFile: pauseFilePath(stateDir),
      rows,
      pending,
      warnings: [...warnings.open, ...(envWarning ? [envWarning] : []), ...warnings.journal],
    },
    Boolean(input.json),
    ctx.io,
  );
  return ExitCode.ok;
}

/**
 * What IAM says about one profile, asked with its own key (used by `status` and `setup`); with the
 * key's user ARN from STS (`setup`) unless `identity` is false (`status`: one request less).
 */
export async function inspectOnline(
  ctx: CommandContext,
  files: CredentialFilesPort,
  settings: Settings,
  profile: string,
  identity = true,
): Promise<ProfileStatus> {
  const aws = await awsPortsFor(ctx, files, profile);
  try {
    return await inspectProfile(profile, {
      iam: aws.iam,
      ...(identity ? { sts: aws.sts } : {}),
      files,
      clock: systemClock,
      policy: (p) => settings.profile(p),
    });
  } finally {
    aws.sts.destroy();
    aws.iam.destroy();
  }
}

/** A profile's status as printed: key ids masked, errors redacted, a refusal or error as a note. */
export function maskedStatus(
  status: ProfileStatus,
): Omit<StatusRow, 'profile' | 'lastResult' | 'oldKeyActive'> {
  return {
    kind: status.kind,
    keyId: status.keyId ? maskKeyId(status.keyId) : null,
    ageDays: status.ageDays ?? null,
    dueAt: status.dueAt ?? null,
    due: status.due ?? null,
    keys:
      status.keys?.map((k) => ({
        accessKeyId: maskKeyId(k.accessKeyId),
        status: k.status,
        createDate: k.createDate.toISOString(),
      })) ?? null,
    note: status.refusal
      ? status.refusal.replace(/^keyrot will not rotate profile "[^"]*": /, 'not rotated: ')
      : status.error
        ? `${status.error.code}: ${redactText(status.error.message)}`
        : status.dueSoon
          ? 'due soon'
          : null,
  };
}
