// `rotate-now` records its rotation in the daemon's state file: the new key's age and due date, so the
// tray and `status --offline` do not show a fresh key with the old key's due date ("0 days, due in 5 days").
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { stateFileRecorder } from '../../src/commands/rotate-now.js';
import { parseSettings } from '../../src/config/load-settings.js';
import type { RotationResult } from '../../src/rotation/ports.js';
import { emptyProfileState, emptyState, readStateFile, writeStateFile } from '../../src/state/state-file.js';
import { profileLine } from '../../src/tray/profile-line.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-11-25T20:00:00.000Z');

it('records the new key as 0 days old and due max_age_days from now, not at the old key’s due date', async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'keyrot-recorder-'));
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
  const result: RotationResult = {
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
  await stateFileRecorder(stateDir, settings, { now: () => NOW }).record(result);

  const dev = (await readStateFile(stateDir))?.profiles.dev;
  expect(dev).toMatchObject({
    keyId: 'AKIA…NEW2',
    ageDays: 0,
    dueAt: new Date(NOW.getTime() + 30 * DAY_MS).toISOString(),
    warnedOn: null,
    lastResult: { at: NOW.toISOString(), outcome: 'rotated' },
  });
  // What the tray shows for it an hour later.
  const line = profileLine('dev', dev, {
    now: new Date(NOW.getTime() + 3_600_000),
    measuredAt: NOW,
    warnDays: 3,
  });
  expect(line).toEqual({ profile: 'dev', text: 'dev — 0 days, due in 30 days', standing: 'healthy' });
});
