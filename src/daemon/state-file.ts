// The daemon's state file, `<stateDir>/state.json`: what the last check found, when the next one is,
// and what the person was last told. Read by `keyrot status --offline`, `keyrot service status` and
// the tray. It never holds a secret: key ids are stored masked (AKIA…WXYZ).
import * as nodeFs from 'node:fs/promises';
// zod/mini: the functional API tree-shakes to what is used here, where zod's classic API cannot.
import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import { KeyrotError } from '../errors/keyrot-error.js';
import { type StateFs, stateFilePath, writeStateJson } from './state-shape.js';

// The zod-free parts, re-exported so readers need only this module.
export {
  emptyProfileState,
  emptyState,
  STATE_FILE_NAME,
  type StateFs,
  stateFilePath,
} from './state-shape.js';

const isoDate = z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO date'));

// zod/mini has no messages of its own (every issue reads "Invalid input"); zod's English ones name
// what was expected, as the FILE_INVALID message always has. Passed per parse: nothing global changes.
const messages = { error: english().localeError };

/** `schema`, or null; null when absent. */
const nullOr = <T extends z.ZodMiniType>(schema: T) => z._default(z.nullable(schema), null);

/** How the last check of one profile ended. */
export const ProfileOutcomeSchema = z.enum(['not-due', 'due-soon', 'rotated', 'failed', 'needs-person']);

/** How the last check of one profile ended: not-due, due-soon (warned), rotated, failed, needs-person. */
export type ProfileOutcome = z.infer<typeof ProfileOutcomeSchema>;

/** What the daemon knows about one watched profile. */
export const ProfileStateSchema = z.looseObject({
  /** The current key id, masked. */
  keyId: nullOr(z.string()),
  ageDays: nullOr(z.number()),
  dueAt: nullOr(isoDate),
  lastResult: nullOr(
    z.object({
      at: isoDate,
      outcome: ProfileOutcomeSchema,
      /** One line for a person; never a secret. */
      message: z.string(),
      /** The KeyrotError code when the outcome is failed or needs-person. */
      code: z.optional(z.string()),
    }),
  ),
  /** The last distinct event the person was notified about (dedupe across restarts). */
  lastNotified: nullOr(z.object({ event: z.string(), at: isoDate })),
  /** The local day (YYYY-MM-DD) of the last "due soon" warning: at most one a day. */
  warnedOn: nullOr(z.string()),
  /** Consecutive transient failures (offline, AWS errors); drives the backoff. */
  failures: z._default(z.number().check(z.int(), z.gte(0)), 0),
  /** When a profile in backoff may be checked again. */
  retryAt: nullOr(isoDate),
});

/** What the daemon knows about one watched profile. */
export type ProfileState = z.infer<typeof ProfileStateSchema>;

/** The whole state file. */
export const DaemonStateSchema = z.looseObject({
  version: z.literal(1),
  /** The pid of the daemon that wrote the file, or null after it stopped. */
  pid: nullOr(z.number().check(z.int())),
  /** The cron expression the daemon runs on. */
  schedule: nullOr(z.string()),
  lastCheck: nullOr(isoDate),
  nextCheck: nullOr(isoDate),
  /** Checks are paused until then (the tray's pause marker, seen by the daemon); null when not paused. */
  pausedUntil: nullOr(isoDate),
  profiles: z._default(z.record(z.string(), ProfileStateSchema), {}),
});

/** The whole state file. */
export type DaemonState = z.infer<typeof DaemonStateSchema>;

/** Reads and validates `<stateDir>/state.json`; null when there is none yet (KeyrotError FILE_INVALID if corrupt). */
export async function readStateFile(
  stateDir: string,
  deps: { fs?: { readFile(file: string, encoding: 'utf8'): Promise<string> } } = {},
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
  const parsed = DaemonStateSchema.safeParse(json, messages);
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

/** Validates `state` and writes `<stateDir>/state.json` atomically (temp file + rename), mode 0600, dir 0700. */
export async function writeStateFile(
  stateDir: string,
  state: DaemonState,
  deps: { fs?: StateFs } = {},
): Promise<void> {
  await writeStateJson(stateDir, DaemonStateSchema.parse(state, messages), deps);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
