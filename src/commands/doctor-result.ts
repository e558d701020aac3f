// One line of `keyrot doctor`'s checklist, shared by the checks in doctor.ts and doctor-desktop.ts.
import type { ReaderEffect } from '../credentials/reader-differences.js';

/** How one check came out. */
export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One line of the checklist. */
export interface CheckResult {
  level: CheckLevel;
  /** What was checked and what was found. */
  text: string;
  /** What to do about it (warn and fail only). */
  fix?: string;
  /** The place in a file the line is about. */
  place?: { file: string; line: number };
  /** For a place the AWS CLI and the SDK read differently: which reader it affects, and how. */
  readers?: { effect: ReaderEffect; profiles: string[]; keys: string[] };
}
