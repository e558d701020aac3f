// `rotate-now` records its rotation in the daemon's state file: the new key's age and due date, so the
// tray and `status --offline` do not show a fresh key with the old key's due date ("0 days, due in 5 days").
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { stateFileRecorder } from '../../src/commands/rotate-now.js';
import { parseSettings } from '../../src/config/load-settings.js';
import { recordCheck } from '../../src/daemon/record-check.js';
import { rotatedReport } from '../../src/daemon/rotation-checker.js';
import type { RotationResult } from '../../src/rotation/ports.js';
import { emptyProfileState, emptyState, readStateFile, writeStateFile } from '../../src/state/state-file.js';
import { profileLine } from '../../src/tray/profile-line.js';
import { tempDir } from '../support/cleanup.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-11-25T20:00:00.000Z');

function rotated(oldDue: string): RotationResult {
  return {
    profile: 'dev',
    outcome: 'rotated',
    userArn: 'arn:aws:iam::123456789012:user/alice',
    oldKeyId: 'AKIAAAAAAAAAAAAAOLD1',
    newKeyId: 'AKIAAAAAAAAAAAAANEW2',
    oldKeyAction: 'deactivated',
    otherKeyAction: 'none',
    durationMs: 1200,
    resumed: false,
    ageDays: 85,
    dueAt: oldDue,
  };
}

it('records the new key as 0 days old and due max_age_days from now, not at the old key’s due date', async () => {
  const stateDir = await tempDir('recorder');
  const oldDue = new Date(NOW.getTime() + 5 * DAY_MS).toISOString();
  // What the daemon knew before: an 85-day-old key of a 90-day policy, warned about today.
  await writeStateFile(stateDir, {
    ...emptyState(),
    profiles: {
      dev: {
        ...emptyProfileState(),
        keyId: 'AKIA…OLD1',
        ageDays: 85,
        dueAt: oldDue,
        warnedOn: '2026-11-25',
        lastResult: { at: NOW.toISOString(), outcome: 'due-soon', message: 'key is 85 days old' },
      },
    },
  });
  const settings = await parseSettings(null, '[profile dev]\nmax_age_days = 30\nwarn_days = 3\n', {});
  const result = rotated(oldDue);
  await stateFileRecorder(stateDir, settings, { now: () => NOW }).record(result);

  const dev = (await readStateFile(stateDir))?.profiles.dev;
  expect(dev).toMatchObject({
    keyId: 'AKIA…NEW2',
    ageDays: 0,
    dueAt: new Date(NOW.getTime() + 30 * DAY_MS).toISOString(),
    warnedOn: null,
    lastResult: {
      at: NOW.toISOString(),
      outcome: 'rotated',
      message: 'rotated AKIA…OLD1 → AKIA…NEW2; old key deactivated (rotate-now)',
    },
  });
  // What the tray shows for it an hour later.
  const line = profileLine('dev', dev, {
    now: new Date(NOW.getTime() + 3_600_000),
    measuredAt: NOW,
    warnDays: 3,
  });
  expect(line).toEqual({ profile: 'dev', text: 'dev — 0 days, due in 30 days', standing: 'healthy' });
});

it('records a rotation as the daemon records its own, but for the notification rotate-now does not send', async () => {
  const stateDir = await tempDir('recorder');
  const previous = {
    ...emptyProfileState(),
    keyId: 'AKIA…OLD1',
    ageDays: 31,
    dueAt: NOW.toISOString(),
    failures: 2,
    retryAt: NOW.toISOString(),
    lastNotified: { event: 'failed:AWS_UNREACHABLE', at: NOW.toISOString() },
  };
  await writeStateFile(stateDir, { ...emptyState(), profiles: { dev: previous } });
  const settings = await parseSettings(null, '[profile dev]\nmax_age_days = 30\n', {});
  const result = rotated(NOW.toISOString());
  await stateFileRecorder(stateDir, settings, { now: () => NOW }).record(result);

  const byDaemon = recordCheck({
    profile: 'dev',
    previous,
    result: { ok: true, report: rotatedReport(result, settings.profile('dev'), NOW) },
    now: NOW,
    today: '2026-11-25',
    backoffCapMs: 3_600_000,
  }).state;
  const byRotateNow = (await readStateFile(stateDir))?.profiles.dev;
  expect(byRotateNow).toEqual({
    ...byDaemon,
    lastNotified: null,
    lastResult: { ...byDaemon.lastResult, message: `${byDaemon.lastResult?.message} (rotate-now)` },
  });
});

it('records that a rotated profile is protected, and the tray line says so; a state file without the field reads as before', async () => {
  const stateDir = await tempDir('recorder');
  // A state file written before the field existed: it still reads, and its line has no marker.
  const older = { ...emptyState(), profiles: { dev: { ...emptyProfileState(), ageDays: 12 } } };
  await writeFile(join(stateDir, 'state.json'), JSON.stringify(older));
  const before = (await readStateFile(stateDir))?.profiles.dev;
  expect(before?.protected).toBeUndefined();
  const later = { now: NOW, measuredAt: NOW, warnDays: 3 };
  expect(profileLine('dev', before, later).text).toBe('dev — 12 days');

  const settings = await parseSettings(null, '[profile dev]\nmax_age_days = 30\n', {});
  await stateFileRecorder(stateDir, settings, { now: () => NOW }, (profile) => profile === 'dev').record(
    rotated(NOW.toISOString()),
  );
  const raw = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8'));
  expect(raw.profiles.dev.protected).toBe(true);
  const dev = (await readStateFile(stateDir))?.profiles.dev;
  expect(profileLine('dev', dev, later)).toEqual({
    profile: 'dev',
    text: 'dev — protected, 0 days, due in 30 days',
    standing: 'healthy',
  });

  // The daemon's next check finds it unprotected again (`keyrot unprotect`): the marker goes.
  const checked = recordCheck({
    profile: 'dev',
    previous: dev!,
    result: {
      ok: true,
      report: {
        kind: 'checked',
        keyId: 'AKIA…NEW2',
        ageDays: 1,
        dueAt: new Date(NOW.getTime() + 29 * DAY_MS),
        warnFrom: new Date(NOW.getTime() + 26 * DAY_MS),
        protected: false,
      },
    },
    now: NOW,
    today: '2026-11-25',
    backoffCapMs: 3_600_000,
  }).state;
  expect(profileLine('dev', checked, later).text).toBe('dev — 1 day, due in 29 days');
});
