// `rotate-now` records its rotation in the daemon's state file: the new key's age and due date, so the
// tray and `status --offline` do not show a fresh key with the old key's due date ("0 days, due in 5 days").
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
