import { describe, expect, it } from 'vitest';
import { dueSoonMessage, failedMessage, needsYouMessage, rotatedMessage } from '../../src/notify/messages.js';

describe('notification messages', () => {
  it('says what was rotated with masked key ids', () => {
    expect(
      rotatedMessage({
        profile: 'dev',
        oldKeyId: 'AKIAIOSFODNN7EXA1234',
        newKeyId: 'AKIA…5678',
        oldKeyAction: 'deactivated',
      }),
    ).toEqual({
      title: 'keyrot: rotated dev',
      body: 'Rotated key for profile dev (AKIA…1234 → AKIA…5678); old key deactivated',
      urgency: 'low',
    });
  });

  it('says until when an old key stays active (old_key_active_hours)', () => {
    const message = rotatedMessage({
      profile: 'dev',
      oldKeyId: 'AKIA…1234',
      newKeyId: 'AKIA…5678',
      oldKeyAction: 'kept',
      activeUntil: '2026-12-02T09:30:00.000Z',
    });
    expect(message.body).toBe(
      'Rotated key for profile dev (AKIA…1234 → AKIA…5678); old key active until 2026-12-02 09:30 UTC',
    );
  });

  it('warns ahead of the due date', () => {
    expect(dueSoonMessage({ profile: 'dev', ageDays: 83, dueInDays: 7 }).body).toBe(
      'Key for profile dev is 83 days old; rotation in 7 days',
    );
    expect(dueSoonMessage({ profile: 'dev', ageDays: 89, dueInDays: 1 }).body).toBe(
      'Key for profile dev is 89 days old; rotation in 1 day',
    );
  });

  it('asks for the person with the exact command to run', () => {
    expect(needsYouMessage({ profile: 'dev', reason: 'mfa' })).toEqual({
      title: 'keyrot needs you',
      body: 'keyrot needs you: enter your MFA code with `keyrot rotate-now --profile dev`',
      urgency: 'critical',
    });
    expect(needsYouMessage({ profile: 'dev', reason: 'keychain' }).body).toContain('unlock your keychain');
  });

  it('reduces a failure to one redacted line', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const message = failedMessage({
      profile: 'dev',
      reason: `\nInvalidClientTokenId for AKIAIOSFODNN7EXAMPLE with ${secret}\n    at stack line`,
    });
    expect(message.body).toBe(
      'Rotation for profile dev failed: InvalidClientTokenId for AKIA…MPLE with [redacted-secret]',
    );
  });
});
