// The state file's check (src/state/state-schema.ts): what it accepts, the defaults it fills in, what it
// keeps and drops, and where it says a file is wrong.
import { describe, expect, it } from 'vitest';
import { parseDaemonState, StateShapeError } from '../../src/state/state-schema.js';

const AT = '2026-11-25T10:00:00.000Z';

/** A full profile entry as the daemon writes it. */
const profile = () => ({
  keyId: 'AKIA…WXYZ',
  ageDays: 12,
  dueAt: AT,
  lastResult: { at: AT, outcome: 'failed', message: 'cannot reach IAM', code: 'AWS_UNREACHABLE' },
  lastNotified: { event: 'failed', at: AT },
  warnedOn: '2026-11-25',
  failures: 2,
  retryAt: AT,
  oldKeyActive: { keyId: 'AKIA…OLD1', until: AT, waiting: true },
  protected: true,
});

/** Where parseDaemonState refuses `value`, and why. */
function refusal(value: unknown): { path: string; message: string } {
  try {
    parseDaemonState(value);
  } catch (error) {
    expect(error).toBeInstanceOf(StateShapeError);
    return { path: (error as StateShapeError).path, message: (error as Error).message };
  }
  throw new Error('accepted');
}

describe('the state file check', () => {
  it('accepts a full state as it is, fields in their order', () => {
    const state = {
      version: 1,
      pid: 42,
      schedule: '17 * * * *',
      lastCheck: AT,
      nextCheck: AT,
      pausedUntil: null,
      idle: { reason: 'settings invalid', since: AT },
      profiles: { dev: profile() },
    };
    const parsed = parseDaemonState(JSON.parse(JSON.stringify(state)));
    expect(parsed).toEqual(state);
    // status --json prints these objects: the order of their keys is part of its output.
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(state));
  });

  it('fills what older writers left out and keeps what newer ones added', () => {
    const parsed = parseDaemonState({ version: 1, later: { x: 1 }, profiles: { a: { extra: true } } });
    expect(parsed).toEqual({
      version: 1,
      pid: null,
      schedule: null,
      lastCheck: null,
      nextCheck: null,
      pausedUntil: null,
      profiles: {
        a: {
          keyId: null,
          ageDays: null,
          dueAt: null,
          lastResult: null,
          lastNotified: null,
          warnedOn: null,
          failures: 0,
          retryAt: null,
          extra: true,
        },
      },
      later: { x: 1 },
    });
    expect(Object.keys(parsed.profiles.a!)).not.toContain('oldKeyActive');
    expect(Object.keys(parsed)).not.toContain('idle');
    expect(parseDaemonState({ version: 1 }).profiles).toEqual({});
  });

  it('drops unknown fields inside its own small objects', () => {
    const entry = { ...profile(), lastResult: { at: AT, outcome: 'rotated', message: 'm', stray: 1 } };
    const parsed = parseDaemonState({ version: 1, profiles: { p: entry } });
    expect(parsed.profiles.p?.lastResult).toEqual({ at: AT, outcome: 'rotated', message: 'm' });
  });

  it('says where a file is wrong, and what was expected there', () => {
    expect(refusal(null)).toEqual({ path: '', message: 'expected an object, not null' });
    expect(refusal([])).toEqual({ path: '', message: 'expected an object, not an array' });
    expect(refusal({ version: 2 })).toEqual({ path: 'version', message: 'expected 1, not a number' });
    expect(refusal({ version: 1, lastCheck: 'soon' }).path).toBe('lastCheck');
    expect(refusal({ version: 1, pid: 1.5 }).path).toBe('pid');
    expect(refusal({ version: 1, profiles: [] }).path).toBe('profiles');
    const bad = (field: string, value: unknown) =>
      refusal({ version: 1, profiles: { p: { ...profile(), [field]: value } } });
    expect(bad('ageDays', '12')).toEqual({
      path: 'profiles.p.ageDays',
      message: 'expected a number, not a string',
    });
    expect(bad('failures', -1).path).toBe('profiles.p.failures');
    expect(bad('protected', 'yes').path).toBe('profiles.p.protected');
    expect(bad('lastResult', { at: AT, outcome: 'won', message: 'm' }).path).toBe(
      'profiles.p.lastResult.outcome',
    );
    expect(bad('oldKeyActive', { keyId: 'k', until: 'later', waiting: false }).path).toBe(
      'profiles.p.oldKeyActive.until',
    );
  });

  it('reads a profile named __proto__ as a profile, without touching any prototype', () => {
    const parsed = parseDaemonState(
      JSON.parse(`{"version": 1, "profiles": {"__proto__": ${JSON.stringify(profile())}}}`),
    );
    expect(Object.keys(parsed.profiles)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.profiles)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed.profiles, '__proto__')?.value.keyId).toBe('AKIA…WXYZ');
  });
});
