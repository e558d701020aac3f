// What `keyrot status` reports, online or offline: which profiles it shows, its rows and unfinished
// rotations as one JSON document (--json) or as a table with notes, and the warnings. Written once for
// both, so `status --offline` (src/commands/status-offline.ts, which the bin runs from its own small
// bundle) prints exactly what the online command prints from the same files.
import type { ShownProfileKind } from '../credentials/profile-kind.js';
import { maskKeyId } from '../errors/redact.js';
import type { DaemonState } from '../state/state-schema.js';
import { utcMinute } from '../time/days.js';
import type { CommandIO } from './context.js';
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
  kind: ShownProfileKind;
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

/** An unfinished rotation as status shows it (masked, never the secret). */
export interface PendingRow {
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

/** Everything one `keyrot status` found. */
export interface StatusReport {
  offline: boolean;
  /** Checks are paused until then (the pause marker), or null. */
  pausedUntil: Date | null;
  /** Where the pause marker is, for the text that says how to resume. */
  pauseFile: string;
  rows: StatusRow[];
  /** The journal's unfinished rotations; null when it was not read (offline, or unreadable). */
  pending: PendingRow[] | null;
  warnings: string[];
}

/** The profiles status shows: the named ones, else every profile with a key line or protected. */
export function profilesShown(
  input: StatusInput,
  credentials: Map<string, unknown>,
  protectedNames: string[],
): string[] {
  return input.profile?.length ? input.profile : [...new Set([...credentials.keys(), ...protectedNames])];
}

/**
 * The warning when AWS_ACCESS_KEY_ID holds a key no profile holds any more, or undefined. `usersKeys`
 * (online) are the keys IAM listed for the profiles' users: the warning then only names one of them,
 * or any key when IAM listed none; offline (undefined) any such key.
 */
export function staleEnvKeyWarning(
  env: NodeJS.ProcessEnv,
  credentials: Map<string, Record<string, string>>,
  usersKeys?: Set<string>,
): string | undefined {
  const envKey = env.AWS_ACCESS_KEY_ID;
  if (!envKey) return undefined;
  const current = new Set([...credentials.values()].map((s) => s.aws_access_key_id).filter(Boolean));
  if (current.has(envKey)) return undefined;
  if (usersKeys && !usersKeys.has(envKey) && usersKeys.size > 0) return undefined;
  return `AWS_ACCESS_KEY_ID in your environment holds ${maskKeyId(envKey)}, which no profile holds any more (an old key?): unset it or open a new shell so the SDK reads the rotated file`;
}

/** Prints `report`: one JSON document on stdout with `json`, else the table on stdout and the warnings on stderr. */
export function printStatus(
  report: StatusReport,
  json: boolean,
  io: Pick<CommandIO, 'stdout' | 'stderr'>,
): void {
  const { pausedUntil, rows, pending, warnings } = report;
  if (json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          offline: report.offline,
          pausedUntil: pausedUntil?.toISOString() ?? null,
          profiles: rows,
          ...(pending ? { pendingRotations: pending } : {}),
          warnings,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  io.stdout.write(renderTable(rows));
  if (pending?.length) io.stdout.write(renderPending(pending));
  if (pausedUntil) {
    io.stdout.write(
      `checks are paused until ${pausedUntil.toISOString()} (delete ${report.pauseFile} to resume)\n`,
    );
  }
  for (const w of warnings) io.stderr.write(`keyrot: warning: ${w}\n`);
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
