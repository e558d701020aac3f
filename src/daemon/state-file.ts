// The daemon's state file, `<stateDir>/state.json`: what the last check found, when the next one is,
// and what the person was last told. Read by `keyrot status --offline`, `keyrot service status` and
// the tray. It never holds a secret: key ids are stored masked (AKIA…WXYZ).
import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { KeyrotError } from '../errors/keyrot-error.js';

/** The file name of the state file inside the state directory. */
export const STATE_FILE_NAME = 'state.json';

const isoDate = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO date');

/** How the last check of one profile ended. */
export const ProfileOutcomeSchema = z.enum(['not-due', 'due-soon', 'rotated', 'failed', 'needs-person']);

/** How the last check of one profile ended: not-due, due-soon (warned), rotated, failed, needs-person. */
export type ProfileOutcome = z.infer<typeof ProfileOutcomeSchema>;

/** What the daemon knows about one watched profile. */
export const ProfileStateSchema = z.looseObject({
  /** The current key id, masked. */
  keyId: z.string().nullable().default(null),
  ageDays: z.number().nullable().default(null),
  dueAt: isoDate.nullable().default(null),
  lastResult: z
    .object({
      at: isoDate,
      outcome: ProfileOutcomeSchema,
      /** One line for a person; never a secret. */
      message: z.string(),
      /** The KeyrotError code when the outcome is failed or needs-person. */
      code: z.string().optional(),
    })
    .nullable()
    .default(null),
  /** The last distinct event the person was notified about (dedupe across restarts). */
  lastNotified: z.object({ event: z.string(), at: isoDate }).nullable().default(null),
  /** The local day (YYYY-MM-DD) of the last "due soon" warning: at most one a day. */
  warnedOn: z.string().nullable().default(null),
  /** Consecutive transient failures (offline, AWS errors); drives the backoff. */
  failures: z.number().int().min(0).default(0),
  /** When a profile in backoff may be checked again. */
  retryAt: isoDate.nullable().default(null),
});

/** What the daemon knows about one watched profile. */
export type ProfileState = z.infer<typeof ProfileStateSchema>;

/** The whole state file. */
export const DaemonStateSchema = z.looseObject({
  version: z.literal(1),
  /** The pid of the daemon that wrote the file, or null after it stopped. */
  pid: z.number().int().nullable().default(null),
  /** The cron expression the daemon runs on. */
  schedule: z.string().nullable().default(null),
  lastCheck: isoDate.nullable().default(null),
  nextCheck: isoDate.nullable().default(null),
  profiles: z.record(z.string(), ProfileStateSchema).default({}),
});

/** The whole state file. */
export type DaemonState = z.infer<typeof DaemonStateSchema>;

/** A fresh state with nothing known yet. */
export function emptyState(): DaemonState {
  return DaemonStateSchema.parse({ version: 1 });
}

/** A fresh profile entry with nothing known yet. */
export function emptyProfileState(): ProfileState {
  return ProfileStateSchema.parse({});
}

/** The subset of node:fs/promises the state file uses (injectable for fault tests). */
export interface StateFs {
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  writeFile(file: string, data: string, options: { mode: number; flag?: string }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(dir: string, options: { recursive: true; mode: number }): Promise<string | undefined>;
  chmod(file: string, mode: number): Promise<void>;
  unlink(file: string): Promise<void>;
}

/** The path of the state file in `stateDir`. */
export function stateFilePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE_NAME);
}

/** Reads and validates `<stateDir>/state.json`; null when there is none yet (KeyrotError FILE_INVALID if corrupt). */
export async function readStateFile(
  stateDir: string,
  deps: { fs?: Pick<StateFs, 'readFile'> } = {},
): Promise<DaemonState | null> {
  const fs = deps.fs ?? nodeFs;
  const file = stateFilePath(stateDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KeyrotError('FILE_UNREADABLE', `cannot read the daemon state file: ${describe(error)}`, {
      file,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KeyrotError('FILE_INVALID', 'the daemon state file is not valid JSON', {
      file,
      cause: error,
      hint: 'delete it; the daemon writes a new one at its next check',
    });
  }
  const parsed = DaemonStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeyrotError(
      'FILE_INVALID',
      `the daemon state file is not as expected at ${issue?.path.join('.') || 'top level'}: ${issue?.message}`,
      { file, hint: 'delete it; the daemon writes a new one at its next check' },
    );
  }
  return parsed.data;
}

/** Writes `<stateDir>/state.json` atomically (temp file + rename), mode 0600, creating the dir 0700. */
export async function writeStateFile(
  stateDir: string,
  state: DaemonState,
  deps: { fs?: StateFs } = {},
): Promise<void> {
  const fs = deps.fs ?? nodeFs;
  const valid = DaemonStateSchema.parse(state);
  const file = stateFilePath(stateDir);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
    // A temp file left by a crashed writer with a reused pid would make `wx` fail: clear it first.
    await fs.unlink(temp).catch(() => undefined);
    // wx: never follow a planted file or symlink at the temp path.
    await fs.writeFile(temp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw new KeyrotError('FILE_WRITE_FAILED', `cannot write the daemon state file: ${describe(error)}`, {
      file,
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
