// The pure heart of the tray: what the daemon's state file (plus the tray's own activity) means for the
// icon, the tooltip and the menu. No I/O here, so every rule is unit tested.
import type { DaemonState } from '../state/state-file.js';
import { type ProfileLine, profileLine, shorten } from './profile-line.js';

/** The four faces of the tray icon, in rising order of urgency (rotating wins over all). */
export type TrayIconState = 'healthy' | 'due-soon' | 'action-needed' | 'rotating';

/** What a menu item does when clicked. */
export type TrayAction =
  | { type: 'rotate'; profile: string }
  | { type: 'open-log' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'quit' };

/** One menu entry; `key` is stable for the same menu shape, so updates can target it. */
export interface TrayMenuItem {
  key: string;
  title: string;
  enabled: boolean;
  hidden?: boolean;
  separator?: boolean;
  action?: TrayAction;
  items?: TrayMenuItem[];
}

/** Everything the tray shows. */
export interface TrayModel {
  icon: TrayIconState;
  /** Text next to the icon (kept empty: panels are crowded). */
  title: string;
  /** Hover text: a summary line, then one line per profile (at most 127 characters, the Windows limit). */
  tooltip: string;
  items: TrayMenuItem[];
}

/** A rotation the tray started and is waiting for. */
export interface RotationInProgress {
  profile: string;
  /** The latest progress line, if any. */
  step?: string;
}

/** How the last rotation the tray started ended. */
export interface FinishedRotation {
  profile: string;
  ok: boolean;
  /** One line for a person (already redacted). */
  message: string;
  at: Date;
}

/** The inputs of buildTrayModel. */
export interface TrayModelInput {
  now: Date;
  /** The daemon's state file, or null when there is none yet. */
  state: DaemonState | null;
  /** Why the state file could not be read, if it could not. */
  stateError?: string | null;
  /** The watched profiles, in settings order. */
  watch: string[];
  /** The warning window of a profile, in days. */
  warnDays(profile: string): number;
  /** Checks are paused until then (null: not paused, or the pause has expired). */
  pausedUntil: Date | null;
  rotation: RotationInProgress | null;
  lastRotation?: FinishedRotation | null;
  /** Time zone for clock times (tests pin it; default: the system's). */
  timeZone?: string;
}

/** Windows truncates tray tooltips at 127 characters. */
export const TOOLTIP_MAX = 127;

/** Builds the icon state, tooltip and menu from the state file and the tray's own activity. */
export function buildTrayModel(input: TrayModelInput): TrayModel {
  const { now, state, watch } = input;
  const lines = watch.map((profile) =>
    profileLine(profile, state?.profiles[profile], {
      now,
      measuredAt: parseDate(state?.profiles[profile]?.lastResult?.at ?? state?.lastCheck ?? null),
      warnDays: input.warnDays(profile),
    }),
  );
  const clock = (date: Date) => formatClock(date, input.timeZone);
  const paused = input.pausedUntil && input.pausedUntil > now ? input.pausedUntil : null;
  const failedRun = lastRunFailed(input);
  const icon = iconState(input, lines, failedRun);

  const status = statusLine(input, clock);
  const activity = activityLine(input, clock);
  const summary = summaryLine(icon, input, lines, failedRun);

  const rotating = input.rotation !== null;
  const rotateItem: TrayMenuItem =
    watch.length === 1
      ? {
          key: 'rotate',
          title: rotating ? `Rotating ${watch[0]}…` : `Rotate ${watch[0]} now`,
          enabled: !rotating,
          action: { type: 'rotate', profile: watch[0]! },
        }
      : {
          key: 'rotate',
          title: rotating ? `Rotating ${input.rotation?.profile}…` : 'Rotate now',
          enabled: !rotating,
          items: watch.map((profile) => ({
            key: `rotate:${profile}`,
            title: profile,
            enabled: !rotating,
            action: { type: 'rotate', profile },
          })),
        };

  const items: TrayMenuItem[] = [
    ...lines.map((line) => ({ key: `profile:${line.profile}`, title: line.text, enabled: false })),
    { key: 'status', title: status, enabled: false },
    { key: 'activity', title: activity ?? '', enabled: false, hidden: activity === null },
    { key: 'separator:1', title: '', enabled: true, separator: true },
    rotateItem,
    { key: 'open-log', title: 'Open log', enabled: true, action: { type: 'open-log' } },
    paused
      ? {
          key: 'pause',
          title: `Resume checks (paused until ${clock(paused)})`,
          enabled: true,
          action: { type: 'resume' },
        }
      : { key: 'pause', title: 'Pause checks for 1 hour', enabled: true, action: { type: 'pause' } },
    { key: 'separator:2', title: '', enabled: true, separator: true },
    { key: 'quit', title: 'Quit', enabled: true, action: { type: 'quit' } },
  ];

  const tooltipLines = [summary, ...lines.map((line) => line.text)];
  if (paused) tooltipLines.push(`Checks paused until ${clock(paused)}`);
  return { icon, title: '', tooltip: fitTooltip(tooltipLines), items };
}

/** The menu's shape: item keys and nesting. Equal shapes can be updated in place. */
export function menuShape(items: TrayMenuItem[]): string {
  return items.map((item) => (item.items ? `${item.key}[${menuShape(item.items)}]` : item.key)).join(',');
}

function iconState(input: TrayModelInput, lines: ProfileLine[], failedRun: boolean): TrayIconState {
  if (input.rotation) return 'rotating';
  if (input.stateError || failedRun || lines.some((line) => line.standing === 'action-needed')) {
    return 'action-needed';
  }
  if (!input.state || lines.some((line) => line.standing === 'due-soon' || line.standing === 'unknown')) {
    return 'due-soon';
  }
  return 'healthy';
}

// A failed tray-started rotation stays "action needed" until the daemon records something newer.
function lastRunFailed(input: TrayModelInput): boolean {
  const last = input.lastRotation;
  if (!last || last.ok) return false;
  const recorded = parseDate(input.state?.profiles[last.profile]?.lastResult?.at ?? null);
  return !recorded || recorded < last.at;
}

function summaryLine(
  icon: TrayIconState,
  input: TrayModelInput,
  lines: ProfileLine[],
  failedRun: boolean,
): string {
  const named = (standing: ProfileLine['standing']) =>
    lines.filter((line) => line.standing === standing).map((line) => line.profile);
  switch (icon) {
    case 'rotating':
      return `keyrot: rotating ${input.rotation?.profile}…`;
    case 'action-needed': {
      const who = named('action-needed');
      if (failedRun && input.lastRotation && !who.includes(input.lastRotation.profile)) {
        who.push(input.lastRotation.profile);
      }
      return who.length > 0
        ? `keyrot: action needed (${who.join(', ')})`
        : 'keyrot: action needed (state file unreadable)';
    }
    case 'due-soon': {
      if (!input.state) return 'keyrot: no check yet';
      const soon = named('due-soon');
      return soon.length > 0 ? `keyrot: due soon (${soon.join(', ')})` : 'keyrot: not checked yet';
    }
    default:
      return lines.length === 1 ? 'keyrot: key healthy' : 'keyrot: all keys healthy';
  }
}

function statusLine(input: TrayModelInput, clock: (date: Date) => string): string {
  if (input.stateError) return `State file unreadable: ${shorten(input.stateError, 50)}`;
  const state = input.state;
  if (!state) return 'No check yet — is the daemon running?';
  const last = parseDate(state.lastCheck);
  const next = parseDate(state.nextCheck);
  const parts = [last ? `Last check ${clock(last)}` : 'No check yet'];
  if (next) parts.push(`next ${clock(next)}`);
  return parts.join(' · ');
}

function activityLine(input: TrayModelInput, clock: (date: Date) => string): string | null {
  if (input.rotation) {
    const step = input.rotation.step ? shorten(input.rotation.step, 50) : 'starting…';
    return `Rotating ${input.rotation.profile}: ${step}`;
  }
  const last = input.lastRotation;
  if (!last) return null;
  return `${clock(last.at)} ${last.profile}: ${shorten(last.message, 50)}`;
}

function fitTooltip(lines: string[]): string {
  let text = '';
  for (const line of lines) {
    const next = text ? `${text}\n${line}` : line;
    if (next.length > TOOLTIP_MAX)
      return text ? `${text}\n…`.slice(0, TOOLTIP_MAX) : shorten(line, TOOLTIP_MAX);
    text = next;
  }
  return text;
}

/** "20:15" in the given (or the system's) time zone. */
export function formatClock(date: Date, timeZone?: string): string {
  return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone });
}

function parseDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time);
}
