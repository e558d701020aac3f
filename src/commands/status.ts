import { preloadAwsSdk } from '../aws/clients.js';
import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { mergedProfileValues } from '../credentials/read.js';
import { describeError } from '../errors/describe-error.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import { maskKeyId, redactText } from '../errors/redact.js';
import { RotationJournal } from '../keychain/journal.js';
import { type Keychain, type KeychainBackend, openKeychain } from '../keychain/open-keychain.js';
import { ProtectedKeys } from '../keychain/protected-key.js';
import { inspectProfile, type ProfileStatus } from '../rotation/inspect-profile.js';
import type { CredentialFilesPort } from '../rotation/ports.js';
import { pauseFilePath, readPauseUntil } from '../state/pause-file.js';
import { type DaemonState, readStateFile } from '../state/state-file.js';
import { systemClock } from '../time/clock.js';
import { utcMinute } from '../time/days.js';
import type { CommandContext } from './context.js';
import { awsPortsFor, credentialFilesPort } from './rotation-deps.js';
import { keysSummary, textTable } from './text-table.js';

/** Options of `keyrot status`. */
export interface StatusInput {
  profile?: string[];
  json?: boolean;
  offline?: boolean;
}

/** One row of `keyrot status`, as printed (masked). */
export interface StatusRow {
  profile: string;
  kind: string;
  keyId: string | null;
  ageDays: number | null;
  dueAt: string | null;
  due: boolean | null;
  keys: { accessKeyId: string; status: string; createDate: string }[] | null;
  lastResult: DaemonState['profiles'][string]['lastResult'];
  /** The key this profile held before, still active in its grace window (old_key_active_hours), masked. */
  oldKeyActive: { keyId: string; until: string; waiting: boolean } | null;
  note: string | null;
}

/** `keyrot status`: kind, masked key, age, due date, the user's keys and the last result of each profile. */
export async function statusCommand(input: StatusInput, ctx: CommandContext): Promise<ExitCodeValue> {
  const env = ctx.io.env;
  if (!input.offline) void preloadAwsSdk().catch(() => undefined);
  const settings = await loadSettings({ path: ctx.globals.config, env });
  const stateDir = keyrotPaths(env).stateDir;
  const warnings: string[] = [];
  // The keychain holds the unfinished rotations and the protected profiles' keys; --offline stays with local files.
  const keychain = input.offline
    ? undefined
    : await openForStatus(env, settings.keychain, stateDir, warnings);
  const protectedKeys = keychain?.backend === 'os' ? new ProtectedKeys(keychain.values.store) : undefined;
  try {
    return await statusWith(input, ctx, settings, stateDir, warnings, keychain, protectedKeys);
  } finally {
    await keychain?.close?.().catch(() => undefined);
  }
}

async function statusWith(
  input: StatusInput,
  ctx: CommandContext,
  settings: Settings,
  stateDir: string,
  warnings: string[],
  keychain: Keychain | undefined,
  protectedKeys: ProtectedKeys | undefined,
): Promise<ExitCodeValue> {
  const env = ctx.io.env;
  const files = credentialFilesPort(env, ctx.globals, () => protectedKeys);
  const raw = credentialFilesPort(env, ctx.globals);
  const [shared, plain] = await Promise.all([files.read(), raw.read()]);
  const isProtected = (profile: string) => isProtectedProfile(plain, profile);
  const protectedNames = [...plain.config.keys()].filter(isProtected);
  const profiles = input.profile?.length
    ? input.profile
    : [...new Set([...shared.credentials.keys(), ...protectedNames])];
  const state = await readStateFile(stateDir).catch(() => null);
  // The marker itself, not the state file: the daemon records a pause only at its next tick.
  const pausedUntil = await readPauseUntil(stateDir, systemClock.now());
  const rows: StatusRow[] = [];
  const userKeys = new Set<string>();

  for (const profile of profiles) {
    const recorded = state?.profiles[profile];
    if (input.offline) {
      const settingsOf = mergedProfileValues(shared, profile) ?? {};
      rows.push({
        profile,
        kind: isProtected(profile)
          ? 'protected'
          : settingsOf.aws_session_token
            ? 'session'
            : settingsOf.aws_access_key_id
              ? 'static'
              : 'other',
        keyId: settingsOf.aws_access_key_id ? maskKeyId(settingsOf.aws_access_key_id) : null,
        ageDays: recorded?.ageDays ?? null,
        dueAt: recorded?.dueAt ?? null,
        due: recorded?.dueAt ? Date.parse(recorded.dueAt) <= Date.now() : null,
        keys: null,
        lastResult: recorded?.lastResult ?? null,
        oldKeyActive: recorded?.oldKeyActive ?? null,
        note: recorded ? null : 'no state recorded yet (the daemon has not checked this profile)',
      });
      continue;
    }
    const status = await inspectOnline(ctx, files, settings, profile);
    for (const key of status.keys ?? []) userKeys.add(key.accessKeyId);
    const row: StatusRow = {
      profile,
      ...maskedStatus(status),
      lastResult: recorded?.lastResult ?? null,
      oldKeyActive: null,
    };
    // Protected: the key is in the keychain, and the AWS tools get it through `keyrot credentials`.
    if (isProtected(profile) && row.kind === 'static') row.kind = 'protected';
    rows.push(row);
  }

  const envKey = env.AWS_ACCESS_KEY_ID;
  if (envKey) {
    const current = new Set([...shared.credentials.values()].map((s) => s.aws_access_key_id).filter(Boolean));
    if (!current.has(envKey) && (input.offline || userKeys.has(envKey) || userKeys.size === 0)) {
      warnings.push(
        `AWS_ACCESS_KEY_ID in your environment holds ${maskKeyId(envKey)}, which no profile holds any more (an old key?): unset it or open a new shell so the SDK reads the rotated file`,
      );
    }
  }
  if (input.offline && !state)
    warnings.push(`no state recorded yet: the daemon has not run (looked in ${stateDir})`);
  // Unfinished rotations live in the keychain; --offline stays with local files only.
  const pending = keychain ? await pendingRotations(keychain, warnings) : null;
  // Online, the journal says which old keys are still in their grace window.
  for (const p of pending ?? []) {
    const row = p.retireAt ? rows.find((r) => r.keyId !== null && r.keyId === p.newKeyId) : undefined;
    if (row) row.oldKeyActive = { keyId: p.oldKeyId, until: p.retireAt!, waiting: p.useSeenAt !== null };
  }

  if (input.json) {
    ctx.io.stdout.write(
      `${JSON.stringify(
        {
          offline: Boolean(input.offline),
          pausedUntil: pausedUntil?.toISOString() ?? null,
          profiles: rows,
          ...(pending ? { pendingRotations: pending } : {}),
          warnings,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    ctx.io.stdout.write(renderTable(rows));
    if (pending?.length) ctx.io.stdout.write(renderPending(pending));
    if (pausedUntil) {
      ctx.io.stdout.write(
        `checks are paused until ${pausedUntil.toISOString()} (delete ${pauseFilePath(stateDir)} to resume)\n`,
      );
    }
    for (const w of warnings) ctx.io.stderr.write(`keyrot: warning: ${w}\n`);
  }
  return ExitCode.ok;
}

/** An unfinished rotation as status shows it (masked, never the secret). */
interface PendingRow {
  oldKeyId: string;
  newKeyId: string | null;
  userArn: string | null;
  profile: string | null;
  phase: string;
  startedAt: string | null;
  files: string[];
  /** Phase `retiring`: the old key stays active until then (old_key_active_hours). */
  retireAt: string | null;
  /** Phase `retiring`: the newest use of the old key after the rotation the person was told of. */
  useSeenAt: string | null;
}

/** The journal's unfinished rotations (damaged entries too); a warning instead when the keychain cannot be read. */
async function pendingRotations(keychain: Keychain, warnings: string[]): Promise<PendingRow[] | null> {
  try {
    const { entries, damaged } = await new RotationJournal(keychain.values).survey();
    return [
      ...entries.map((e) => ({
        oldKeyId: maskKeyId(e.oldKeyId),
        newKeyId: e.newKeyId ? maskKeyId(e.newKeyId) : null,
        userArn: e.userArn,
        profile: e.profile,
        phase: e.phase,
        startedAt: e.startedAt,
        files: e.files.map((f) => f.path),
        retireAt: e.retireAt ?? null,
        useSeenAt: e.useSeenAt ?? null,
      })),
      ...damaged.map((d) => ({
        oldKeyId: maskKeyId(d.oldKeyId),
        newKeyId: null,
        userArn: null,
        profile: null,
        phase: 'damaged',
        startedAt: null,
        files: [],
        retireAt: null,
        useSeenAt: null,
      })),
    ];
  } catch (error) {
    warnings.push(`could not read the rotation journal: ${describeError(error).message}`);
    return null;
  }
}

/** The keychain for status; a warning instead when it cannot be opened. */
async function openForStatus(
  env: NodeJS.ProcessEnv,
  backend: KeychainBackend,
  stateDir: string,
  warnings: string[],
): Promise<Keychain | undefined> {
  try {
    return await openKeychain({ env, backend, stateDir });
  } catch (error) {
    warnings.push(`could not read the rotation journal: ${describeError(error).message}`);
    return undefined;
  }
}

function renderPending(all: PendingRow[]): string {
  let out = '';
  const windows = all.filter((p) => p.phase === 'retiring');
  if (windows.length > 0) {
    out += 'old keys still active (the daemon or the next rotate-now deactivates each at its deadline):\n';
    for (const p of windows) {
      const waiting = p.useSeenAt
        ? `; kept while used (last use ${utcMinute(p.useSeenAt)}, old_key_wait_while_used)`
        : '';
      out += `  ${p.oldKeyId} of ${p.userArn} (profile ${p.profile}, replaced by ${p.newKeyId}): active until ${utcMinute(p.retireAt!)}${waiting}\n`;
    }
  }
  const pending = all.filter((p) => p.phase !== 'retiring');
  if (pending.length === 0) return out;
  out += 'unfinished rotations (the next rotate-now of a profile holding the key resumes them):\n';
  for (const p of pending) {
    if (p.phase === 'damaged') {
      out += `  ${p.oldKeyId}: the journal entry is damaged; check the user's keys in IAM before removing it\n`;
      continue;
    }
    const made = p.newKeyId ? `, new key ${p.newKeyId} created` : ', no key created yet';
    out += `  ${p.oldKeyId} of ${p.userArn} (profile ${p.profile}, started ${p.startedAt?.slice(0, 16).replace('T', ' ')} UTC${made})\n`;
    for (const file of p.files) out += `    ${file}\n`;
  }
  return out;
}

/** A plain-text table, one profile per row, notes below. */
function renderTable(rows: StatusRow[]): string {
  const head = ['PROFILE', 'KIND', 'KEY', 'AGE', 'DUE', 'KEYS', 'LAST RESULT'];
  const body = rows.map((r) => [
    r.profile,
    r.kind,
    r.keyId ?? '-',
    r.ageDays === null ? '-' : `${r.ageDays} d`,
    r.dueAt ? `${r.dueAt.slice(0, 10)}${r.due ? ' (due)' : ''}` : '-',
    r.keys ? keysSummary(r.keys) : '-',
    r.lastResult ? `${r.lastResult.outcome} ${r.lastResult.at.slice(0, 10)}` : '-',
  ]);
  let out = textTable(head, body);
  for (const r of rows) if (r.note) out += `  ${r.profile}: ${r.note}\n`;
  for (const r of rows) {
    const old = r.oldKeyActive;
    if (!old) continue;
    const until = old.waiting
      ? `kept active while used (deadline ${utcMinute(old.until)} passed)`
      : `still active until ${utcMinute(old.until)}`;
    out += `  ${r.profile}: old key ${old.keyId} ${until}\n`;
  }
  return out;
}

/** What IAM says about one profile, asked with its own key (used by `status` and `setup`). */
export async function inspectOnline(
  ctx: CommandContext,
  files: CredentialFilesPort,
  settings: Settings,
  profile: string,
): Promise<ProfileStatus> {
  const aws = await awsPortsFor(ctx, files, profile);
  try {
    return await inspectProfile(profile, {
      ...aws,
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
