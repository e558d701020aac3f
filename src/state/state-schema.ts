// The state file's schema and types (zod/mini). Types only for the writers that never load zod
// (state-shape.ts); the schema for the readers, which validate (state-file.ts).
// zod/mini: the functional API tree-shakes to what is used here, where zod's classic API cannot.
import * as z from 'zod/mini';

const isoDate = z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO date'));

/** `schema`, or null; null when absent. */
const nullOr = <T extends z.ZodMiniType>(schema: T) => z._default(z.nullable(schema), null);

/** How the last check of one profile ended: not-due, due-soon (warned), rotated, failed, needs-person. */
const ProfileOutcomeSchema = z.enum(['not-due', 'due-soon', 'rotated', 'failed', 'needs-person']);

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
  /**
   * The key this profile held before its last rotation, still active in its grace window
   * (old_key_active_hours): masked id, deadline, and whether it is kept past it because it is still used.
   */
  oldKeyActive: z.optional(z.nullable(z.object({ keyId: z.string(), until: isoDate, waiting: z.boolean() }))),
  /** The key lives in the OS keychain (`keyrot protect`), as the last check found; absent in older files. */
  protected: z.optional(z.boolean()),
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
  /**
   * The daemon runs but does not check, and why: its settings are invalid and it waits for them to be
   * fixed (under launchd, which would restart a daemon that exits every 30 s). Absent or null otherwise.
   */
  idle: z.optional(z.nullable(z.object({ reason: z.string(), since: isoDate }))),
  profiles: z._default(z.record(z.string(), ProfileStateSchema), {}),
});

/** The whole state file. */
export type DaemonState = z.infer<typeof DaemonStateSchema>;
