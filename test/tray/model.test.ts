import { describe, expect, it } from 'vitest';
import { type DaemonState, parseDaemonState } from '../../src/state/state-schema.js';
import { buildTrayModel, menuShape, TOOLTIP_MAX, type TrayModelInput } from '../../src/tray/model.js';
import { dueText, profileLine } from '../../src/tray/profile-line.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-25T12:00:00Z');

function state(profiles: Record<string, unknown>, extra: Record<string, unknown> = {}): DaemonState {
  return parseDaemonState({
    version: 1,
    lastCheck: NOW.toISOString(),
    nextCheck: new Date(NOW.getTime() + 3_600_000).toISOString(),
    profiles,
    ...extra,
  });
}

/** A profile whose key is `age` days old under a 90-day policy, measured now. */
function aged(age: number, lastResult: Record<string, unknown> | null = null) {
  return {
    keyId: 'AKIA…WXYZ',
    ageDays: age,
    dueAt: new Date(NOW.getTime() + (90 - age) * DAY).toISOString(),
    lastResult: lastResult ?? { at: NOW.toISOString(), outcome: 'not-due', message: 'not due' },
  };
}

function input(overrides: Partial<TrayModelInput>): TrayModelInput {
  return {
    now: NOW,
    state: null,
    watch: ['dev'],
    warnDays: () => 7,
    pausedUntil: null,
    rotation: null,
    timeZone: 'UTC',
    ...overrides,
  };
}

const titles = (model: ReturnType<typeof buildTrayModel>) =>
  model.items.filter((item) => !item.separator && !item.hidden).map((item) => item.title);

describe('profileLine', () => {
  it('reads like the issue: age and days until due', () => {
    const line = profileLine('dev', state({ dev: aged(23) }).profiles.dev, {
      now: NOW,
      measuredAt: NOW,
      warnDays: 7,
    });
    expect(line).toEqual({ profile: 'dev', text: 'dev — 23 days, due in 67 days', standing: 'healthy' });
  });

  it('names the old key still active in its grace window, and until when', () => {
    const until = new Date(NOW.getTime() + 2 * 3_600_000).toISOString();
    const open = { ...aged(0), oldKeyActive: { keyId: 'AKIA…OLD1', until, waiting: false } };
    const line = profileLine('dev', state({ dev: open }).profiles.dev, {
      now: NOW,
      measuredAt: NOW,
      warnDays: 7,
    });
    expect(line.text).toBe('dev — 0 days, due in 90 days, old key active until 2026-11-25 14:00 UTC');
    const waiting = { ...open, oldKeyActive: { ...open.oldKeyActive, waiting: true } };
    const kept = profileLine('dev', state({ dev: waiting }).profiles.dev, {
      now: NOW,
      measuredAt: NOW,
      warnDays: 7,
    });
    expect(kept.text).toBe('dev — 0 days, due in 90 days, old key kept while in use');
  });

  it('ages the key by the time since it was measured', () => {
    const measuredAt = new Date(NOW.getTime() - 2.5 * DAY);
    const line = profileLine('dev', state({ dev: aged(23) }).profiles.dev, {
      now: NOW,
      measuredAt,
      warnDays: 7,
    });
    expect(line.text).toBe('dev — 25 days, due in 67 days');
  });

  it('is due soon inside the warning window and when the daemon said so', () => {
    const within = profileLine('p', state({ p: aged(84) }).profiles.p, {
      now: NOW,
      measuredAt: NOW,
      warnDays: 7,
    });
    expect(within).toMatchObject({ text: 'p — 84 days, due in 6 days', standing: 'due-soon' });
    const told = profileLine(
      'p',
      state({ p: aged(20, { at: NOW.toISOString(), outcome: 'due-soon', message: 'soon' }) }).profiles.p,
      { now: NOW, measuredAt: NOW, warnDays: 7 },
    );
    expect(told.standing).toBe('due-soon');
  });

  it('needs action after a failure or an MFA request, and says why in short', () => {
    const mfa = {
      at: NOW.toISOString(),
      outcome: 'needs-person',
      message: 'MFA code needed',
      code: 'MFA_REQUIRED',
    };
    const line = profileLine('dev', state({ dev: aged(95, mfa) }).profiles.dev, {
      now: NOW,
      measuredAt: NOW,
      warnDays: 7,
    });
    expect(line).toEqual({
      profile: 'dev',
      text: 'dev — 95 days, overdue by 5 days — MFA code needed',
      standing: 'action-needed',
    });
  });

  it('says when a profile was never checked', () => {
    expect(profileLine('dev', undefined, { now: NOW, measuredAt: null, warnDays: 7 })).toEqual({
      profile: 'dev',
      text: 'dev — not checked yet',
      standing: 'unknown',
    });
  });

  it('words the due date in days, singular and plural', () => {
    expect(dueText(1)).toBe('due in 1 day');
    expect(dueText(DAY + 1)).toBe('due in 2 days');
    expect(dueText(-1)).toBe('due now');
    expect(dueText(-DAY)).toBe('overdue by 1 day');
    expect(dueText(-3.5 * DAY)).toBe('overdue by 3 days');
  });
});

describe('buildTrayModel', () => {
  it('is healthy when every watched key is younger than its warning window', () => {
    const model = buildTrayModel(
      input({ state: state({ dev: aged(23), prod: aged(40) }), watch: ['dev', 'prod'] }),
    );
    expect(model.icon).toBe('healthy');
    expect(model.tooltip).toBe(
      'keyrot: all keys healthy\ndev — 23 days, due in 67 days\nprod — 40 days, due in 50 days',
    );
    expect(titles(model)).toEqual([
      'dev — 23 days, due in 67 days',
      'prod — 40 days, due in 50 days',
      'Last check 12:00 · next 13:00',
      'Rotate now',
      'Open log',
      'Pause checks for 1 hour',
      'Quit',
    ]);
    const rotate = model.items.find((item) => item.key === 'rotate');
    expect(rotate?.items?.map((item) => [item.title, item.action])).toEqual([
      ['dev', { type: 'rotate', profile: 'dev' }],
      ['prod', { type: 'rotate', profile: 'prod' }],
    ]);
  });

  it('offers a one-click "Rotate <profile> now" when one profile is watched', () => {
    const model = buildTrayModel(input({ state: state({ dev: aged(23) }) }));
    const rotate = model.items.find((item) => item.key === 'rotate');
    expect(rotate).toMatchObject({
      title: 'Rotate dev now',
      enabled: true,
      action: { type: 'rotate', profile: 'dev' },
    });
    expect(rotate?.items).toBeUndefined();
    expect(model.tooltip).toBe('keyrot: key healthy\ndev — 23 days, due in 67 days');
  });

  it('is due soon when any key is inside its own warning window', () => {
    const model = buildTrayModel(
      input({
        state: state({ dev: aged(23), prod: aged(80) }),
        watch: ['dev', 'prod'],
        warnDays: (profile) => (profile === 'prod' ? 14 : 7),
      }),
    );
    expect(model.icon).toBe('due-soon');
    expect(model.tooltip.split('\n')[0]).toBe('keyrot: due soon (prod)');
  });

  it('needs action on MFA, keychain or errors, over due soon', () => {
    const keychain = {
      at: NOW.toISOString(),
      outcome: 'needs-person',
      message: 'unlock your keychain',
      code: 'KEYCHAIN_UNAVAILABLE',
    };
    const model = buildTrayModel(
      input({ state: state({ dev: aged(85), prod: aged(40, keychain) }), watch: ['dev', 'prod'] }),
    );
    expect(model.icon).toBe('action-needed');
    expect(model.tooltip.split('\n')[0]).toBe('keyrot: action needed (prod)');
    expect(titles(model)[1]).toBe('prod — 40 days, due in 50 days — unlock your keychain');
  });

  it('needs action when the state file cannot be read, and says so in the menu', () => {
    const model = buildTrayModel(input({ stateError: 'not valid JSON' }));
    expect(model.icon).toBe('action-needed');
    expect(titles(model)).toContain('State file unreadable: not valid JSON');
  });

  it('asks whether the daemon runs when there is no state file yet', () => {
    const model = buildTrayModel(input({ state: null }));
    expect(model.icon).toBe('due-soon');
    expect(titles(model).slice(0, 2)).toEqual([
      'dev — not checked yet',
      'No check yet — is the daemon running?',
    ]);
  });

  it('shows a running rotation in the icon and the menu, and disables rotating again', () => {
    const model = buildTrayModel(
      input({
        state: state({ dev: aged(95), prod: aged(3) }),
        watch: ['dev', 'prod'],
        rotation: { profile: 'dev', step: 'proving the new key' },
      }),
    );
    expect(model.icon).toBe('rotating');
    expect(model.tooltip.split('\n')[0]).toBe('keyrot: rotating dev…');
    expect(titles(model)).toContain('Rotating dev: proving the new key');
    const rotate = model.items.find((item) => item.key === 'rotate');
    expect(rotate).toMatchObject({ title: 'Rotating dev…', enabled: false });
    expect(rotate?.items?.every((item) => !item.enabled)).toBe(true);
  });

  it('reports the last tray rotation, and a failure needs action until the daemon records newer news', () => {
    const failedAt = new Date(NOW.getTime() + 60_000);
    const failed = { profile: 'dev', ok: false, message: 'MFA code needed', at: failedAt };
    const now = new Date(NOW.getTime() + 120_000);
    const model = buildTrayModel(input({ now, state: state({ dev: aged(23) }), lastRotation: failed }));
    expect(model.icon).toBe('action-needed');
    expect(model.tooltip.split('\n')[0]).toBe('keyrot: action needed (dev)');
    expect(titles(model)).toContain('12:01 dev: MFA code needed');

    const later = new Date(NOW.getTime() + 300_000);
    const newer = aged(0, { at: later.toISOString(), outcome: 'rotated', message: 'rotated' });
    expect(
      buildTrayModel(input({ now: later, state: state({ dev: newer }), lastRotation: failed })).icon,
    ).toBe('healthy');
  });

  it('offers to resume while checks are paused, and forgets an expired pause', () => {
    const until = new Date(NOW.getTime() + 3_600_000);
    const paused = buildTrayModel(input({ state: state({ dev: aged(23) }), pausedUntil: until }));
    const pause = paused.items.find((item) => item.key === 'pause');
    expect(pause).toMatchObject({ title: 'Resume checks (paused until 13:00)', action: { type: 'resume' } });
    expect(paused.tooltip.endsWith('\nChecks paused until 13:00')).toBe(true);

    const expired = buildTrayModel(
      input({ state: state({ dev: aged(23) }), pausedUntil: new Date(NOW.getTime() - 1) }),
    );
    expect(expired.items.find((item) => item.key === 'pause')?.action).toEqual({ type: 'pause' });
  });

  it('keeps the menu shape while only texts change, so the tray can update in place', () => {
    const a = buildTrayModel(input({ state: state({ dev: aged(23) }) }));
    const b = buildTrayModel(input({ state: state({ dev: aged(88) }), rotation: { profile: 'dev' } }));
    expect(menuShape(a.items)).toBe(menuShape(b.items));
    const c = buildTrayModel(input({ state: state({ dev: aged(23) }), watch: ['dev', 'prod'] }));
    expect(menuShape(c.items)).not.toBe(menuShape(a.items));
  });

  it('fits the tooltip in 127 characters (the Windows limit)', () => {
    const watch = Array.from({ length: 8 }, (_, i) => `profile-number-${i}`);
    const profiles = Object.fromEntries(watch.map((name) => [name, aged(10)]));
    const model = buildTrayModel(input({ state: state(profiles), watch }));
    expect(model.tooltip.length).toBeLessThanOrEqual(TOOLTIP_MAX);
    expect(model.tooltip.endsWith('\n…')).toBe(true);
  });
});
