// One line per watched profile, as the tray menu and tooltip show it: `dev — 23 days, due in 67 days`
// (`work — protected, 12 days, …` when its key lives in the OS keychain).
import type { ProfileState } from '../state/state-file.js';
import { DAY_MS, utcMinute } from '../time/days.js';

/** How one profile stands, for the icon and the line. */
export type ProfileStanding = 'unknown' | 'healthy' | 'due-soon' | 'action-needed';

/** A profile's line and standing. */
export interface ProfileLine {
  profile: string;
  text: string;
  standing: ProfileStanding;
}

/**
 * Describes one profile from the daemon's record of it. `measuredAt` is when its age was measured (its
 * age keeps growing after that), `warnDays` its warning window.
 */
export function profileLine(
  profile: string,
  state: ProfileState | undefined,
  options: { now: Date; measuredAt: Date | null; warnDays: number },
): ProfileLine {
  const problem = state?.lastResult && isProblem(state.lastResult.outcome) ? state.lastResult : null;
  if (!state || state.ageDays === null) {
    const text = problem ? `${profile} — ${shorten(problem.message)}` : `${profile} — not checked yet`;
    return { profile, text, standing: problem ? 'action-needed' : 'unknown' };
  }
  const { now } = options;
  const grown = options.measuredAt ? Math.max(0, now.getTime() - options.measuredAt.getTime()) / DAY_MS : 0;
  const age = Math.floor(state.ageDays + grown);
  const parts = [`${age} ${age === 1 ? 'day' : 'days'}`];
  // Its key is in the OS keychain, not in ~/.aws/credentials (`keyrot protect`).
  if (state.protected) parts.unshift('protected');
  let standing: ProfileStanding = 'healthy';
  if (state.dueAt !== null) {
    const left = Date.parse(state.dueAt) - now.getTime();
    parts.push(dueText(left));
    if (left <= options.warnDays * DAY_MS) standing = 'due-soon';
  }
  if (state.lastResult?.outcome === 'due-soon') standing = 'due-soon';
  const old = state.oldKeyActive;
  // The key before the last rotation still works (old_key_active_hours): say until when.
  if (old)
    parts.push(old.waiting ? 'old key kept while in use' : `old key active until ${utcMinute(old.until)}`);
  let text = `${profile} — ${parts.join(', ')}`;
  if (problem) {
    standing = 'action-needed';
    text += ` — ${shorten(problem.message)}`;
  }
  return { profile, text, standing };
}

/** "due in 67 days", "due in 1 day", "due now", "overdue by 3 days". */
export function dueText(msLeft: number): string {
  if (msLeft > 0) {
    const days = Math.ceil(msLeft / DAY_MS);
    return `due in ${days} ${days === 1 ? 'day' : 'days'}`;
  }
  const late = Math.floor(-msLeft / DAY_MS);
  if (late < 1) return 'due now';
  return `overdue by ${late} ${late === 1 ? 'day' : 'days'}`;
}

function isProblem(outcome: string): boolean {
  return outcome === 'failed' || outcome === 'needs-person';
}

/** Menu items are one line: keep a reason short enough for a panel menu. */
export function shorten(text: string, max = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
