// The narrow ports the daemon core runs against, beside the Logger (src/log) and Notifier (src/notify)
// ports. The command wires the real ones (rotation engine, notifier, logger, timers); unit tests inject
// a fake clock and fakes of these.

/** A replaced key still active in its grace window (old_key_active_hours), as the daemon records it. */
export interface OldKeyWindowReport {
  /** The old key id, masked. */
  keyId: string;
  /** Its deadline (ISO 8601). */
  until: string;
  /** `waiting`: past the deadline, kept while used (old_key_wait_while_used); `closed`: retired now. */
  state: 'open' | 'waiting' | 'closed';
}

/** What checking one profile found: its key is fine (maybe due soon), or it was just rotated. */
export type CheckReport = (
  | {
      kind: 'checked';
      /** The current key id, masked. */
      keyId: string;
      ageDays: number;
      dueAt: Date;
      /** From this instant on the person is warned that rotation is coming (dueAt − warn_days). */
      warnFrom: Date;
    }
  | {
      kind: 'rotated';
      /** Masked key ids. */
      oldKeyId: string;
      newKeyId: string;
      /** What happened to the old key. */
      oldKeyAction: 'deactivated' | 'deleted' | 'kept';
      /** Age and due date of the new key. */
      ageDays: number;
      dueAt: Date;
      /** True when an interrupted rotation was finished from the journal. */
      resumed: boolean;
    }
) & {
  /** The grace window of a replaced key, when the check opened or looked at one. */
  oldKeyWindow?: OldKeyWindowReport;
  /** The profile's key lives in the OS keychain (`keyrot protect`), as the check found it; absent: unknown. */
  protected?: boolean;
};

/** A report of a rotation. */
export type RotatedReport = Extract<CheckReport, { kind: 'rotated' }>;

/** What a pass found of the grace window of a profile the daemon does not watch. */
export interface OtherWindowResult {
  profile: string;
  /** The window after the pass (null: another run closed it), or what closing it threw. */
  result:
    | { ok: true; window: OldKeyWindowReport | null; protected?: boolean }
    | { ok: false; error: unknown };
}

/**
 * Closes the due grace windows of the profiles outside `watched` (a `rotate-now` opened them) and reports
 * every window of those profiles still in the journal; rotates none of them.
 */
export type CloseOtherWindows = (watched: string[]) => Promise<OtherWindowResult[]>;

/** Checks one profile: inspects its key's age and rotates it when due. Throws KeyrotError on failure. */
export type CheckProfile = (profile: string) => Promise<CheckReport>;

/** One-shot timers on the monotonic clock (which, unlike the wall clock, stands still while a laptop sleeps). */
export interface Timers {
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  set(ms: number, fn: () => void | Promise<void>): () => void;
}

/** Node's timers. */
export const systemTimers: Timers = {
  set(ms, fn) {
    const timer = setTimeout(() => void fn(), ms);
    return () => clearTimeout(timer);
  },
};
