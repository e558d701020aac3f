// One line of `keyrot doctor`'s checklist, shared by the checks in doctor.ts and doctor-desktop.ts.

/** How one check came out. */
export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One line of the checklist. */
export interface CheckResult {
  level: CheckLevel;
  /** What was checked and what was found. */
  text: string;
  /** What to do about it (warn and fail only). */
  fix?: string;
}
