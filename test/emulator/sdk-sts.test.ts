// STS through the real @aws-sdk/client-sts over HTTP: identity, session tokens (with and without MFA),
// and every authentication error.
import { GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, seedUser, startEmulator, totpCode } from '../../src/emulator/index.js';
import { expectAwsError, stsClient } from './clients.js';
import { type OffsetClock, offsetClock } from './clock.js';

let emulator: RunningEmulator;
let clock: OffsetClock;

beforeAll(async () => {
  clock = offsetClock();
  emulator = await startEmulator({ clock });
});
afterAll(async () => emulator.close());

function creds(key: { accessKeyId: string; secretAccessKey: string }) {
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

describe('GetCallerIdentity', () => {
  it('names the IAM user behind the key', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-alice' });
    const out = await stsClient(emulator.url, creds(seeded.keys[0]!)).send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe(`arn:aws:iam::${seeded.accountId}:user/sts-alice`);
    expect(out.Account).toBe(seeded.accountId);
    expect(out.Account).toMatch(/^\d{12}$/);
    expect(out.UserId).toBe(seeded.userId);
    expect(out.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects an unknown key with InvalidClientTokenId (403)', async () => {
    const call = stsClient(emulator.url, {
      accessKeyId: 'AKIAAAAAAAAAAAAAAAAA',
      secretAccessKey: 'a'.repeat(40),
    }).send(new GetCallerIdentityCommand({}));
    await expectAwsError(
      call,
      'InvalidClientTokenId',
      403,
      /security token included in the request is invalid/,
    );
  });

  it('rejects a wrong secret with SignatureDoesNotMatch (403)', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-wrong-secret' });
    const call = stsClient(emulator.url, {
      accessKeyId: seeded.keys[0]!.accessKeyId,
      secretAccessKey: `${seeded.keys[0]!.secretAccessKey.slice(0, 39)}x`,
    }).send(new GetCallerIdentityCommand({}));
    await expectAwsError(call, 'SignatureDoesNotMatch', 403, /signature we calculated does not match/);
  });

  it('rejects an inactive key with InvalidClientTokenId', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-inactive', secondKey: 'inactive' });
    expect(seeded.keys[1]!.status).toBe('Inactive');
    const call = stsClient(emulator.url, creds(seeded.keys[1]!)).send(new GetCallerIdentityCommand({}));
    await expectAwsError(call, 'InvalidClientTokenId', 403);
  });

  it('rejects a request signed more than 15 minutes off with RequestExpired, accepts 10 minutes', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-skew' });
    // A fresh client each time: the SDK corrects its own clock from any skew error's Date header.
    const client = () => stsClient(emulator.url, creds(seeded.keys[0]!));
    try {
      clock.offsetMs = 16 * 60_000;
      await expectAwsError(
        client().send(new GetCallerIdentityCommand({})),
        'RequestExpired',
        400,
        /Signature expired/,
      );
      clock.offsetMs = -16 * 60_000;
      await expectAwsError(
        client().send(new GetCallerIdentityCommand({})),
        'RequestExpired',
        400,
        /not yet current/,
      );
      clock.offsetMs = 10 * 60_000;
      const out = await client().send(new GetCallerIdentityCommand({}));
      expect(out.Arn).toBe(seeded.arn);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('lets the SDK correct its clock from the Date header, as against AWS', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-skew-retry' });
    const client = stsClient(emulator.url, creds(seeded.keys[0]!), { maxAttempts: 2 });
    try {
      clock.offsetMs = 60 * 60_000;
      const out = await client.send(new GetCallerIdentityCommand({}));
      expect(out.Arn).toBe(seeded.arn);
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      clock.offsetMs = 0;
    }
  });
});

describe('GetSessionToken', () => {
  it('issues ASIA credentials with a session token that the emulator then accepts', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-session' });
    const before = Date.now();
    const out = await stsClient(emulator.url, creds(seeded.keys[0]!)).send(new GetSessionTokenCommand({}));
    const temp = out.Credentials!;
    expect(temp.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(temp.SecretAccessKey).toHaveLength(40);
    expect(temp.SessionToken!.length).toBeGreaterThan(100);
    // Default duration: 12 hours.
    expect(temp.Expiration!.getTime() - before).toBeGreaterThan(43_190_000);
    expect(temp.Expiration!.getTime() - before).toBeLessThan(43_210_000);
    const sessionClient = stsClient(emulator.url, {
      accessKeyId: temp.AccessKeyId!,
      secretAccessKey: temp.SecretAccessKey!,
      sessionToken: temp.SessionToken!,
    });
    expect((await sessionClient.send(new GetCallerIdentityCommand({}))).Arn).toBe(seeded.arn);
    await expectAwsError(
      sessionClient.send(new GetSessionTokenCommand({})),
      'AccessDenied',
      403,
      /Cannot call GetSessionToken with session credentials/,
    );
    const forged = stsClient(emulator.url, {
      accessKeyId: temp.AccessKeyId!,
      secretAccessKey: temp.SecretAccessKey!,
      sessionToken: `${temp.SessionToken!.slice(0, -4)}AAAA`,
    });
    await expectAwsError(forged.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    const withoutToken = stsClient(emulator.url, {
      accessKeyId: temp.AccessKeyId!,
      secretAccessKey: temp.SecretAccessKey!,
    });
    await expectAwsError(withoutToken.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  });

  it('honours DurationSeconds, rejects out-of-range values, and expires the session', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-duration' });
    const client = stsClient(emulator.url, creds(seeded.keys[0]!));
    await expectAwsError(
      client.send(new GetSessionTokenCommand({ DurationSeconds: 899 })),
      'ValidationError',
      400,
      /greater than or equal to 900/,
    );
    const out = await client.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const temp = out.Credentials!;
    expect(Math.abs(temp.Expiration!.getTime() - Date.now() - 900_000)).toBeLessThan(5_000);
    try {
      // Both the emulator and the client move 16 minutes ahead, past the session's 15 minutes.
      clock.offsetMs = 16 * 60_000;
      const later = stsClient(emulator.url, {
        accessKeyId: temp.AccessKeyId!,
        secretAccessKey: temp.SecretAccessKey!,
        sessionToken: temp.SessionToken!,
      });
      later.config.systemClockOffset = clock.offsetMs;
      await expectAwsError(later.send(new GetCallerIdentityCommand({})), 'ExpiredToken', 403, /expired/);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('with SerialNumber and a valid TokenCode issues an MFA session; bad codes are refused', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-mfa', mfa: true });
    const mfa = seeded.mfa!;
    expect(mfa.serial).toBe(`arn:aws:iam::${seeded.accountId}:mfa/sts-mfa`);
    expect(mfa.secretBase32).toMatch(/^[A-Z2-7]{32}$/);
    const client = stsClient(emulator.url, creds(seeded.keys[0]!));
    const good = await client.send(
      new GetSessionTokenCommand({ SerialNumber: mfa.serial, TokenCode: totpCode(mfa.secretBase32) }),
    );
    expect(good.Credentials!.AccessKeyId).toMatch(/^ASIA/);
    const code = totpCode(mfa.secretBase32);
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
    await expectAwsError(
      client.send(new GetSessionTokenCommand({ SerialNumber: mfa.serial, TokenCode: wrong })),
      'AccessDenied',
      403,
      /MultiFactorAuthentication failed with invalid MFA one time pass code/,
    );
    await expectAwsError(
      client.send(new GetSessionTokenCommand({ SerialNumber: `${mfa.serial}-other`, TokenCode: code })),
      'AccessDenied',
      403,
      /verify your MFA serial number/,
    );
    await expectAwsError(
      client.send(new GetSessionTokenCommand({ SerialNumber: mfa.serial, TokenCode: '12ab56' })),
      'ValidationError',
      400,
      /tokenCode/,
    );
  });

  it('accepts each code once, as AWS does: a reused or older code is refused, unless reuse is allowed', async () => {
    const seeded = await seedUser(emulator, { user: 'sts-mfa-once', mfa: true });
    const { serial, secretBase32 } = seeded.mfa!;
    const client = stsClient(emulator.url, creds(seeded.keys[0]!));
    const session = (code: string) =>
      client.send(new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: code }));
    const now = totpCode(secretBase32, clock.now());
    const previous = totpCode(secretBase32, new Date(clock.now().getTime() - 30_000));
    await session(now);
    const refused = /MultiFactorAuthentication failed with invalid MFA one time pass code/;
    await expectAwsError(session(now), 'AccessDenied', 403, refused);
    // The previous step's code is within the drift window, but older than the one used.
    if (previous !== now) await expectAwsError(session(previous), 'AccessDenied', 403, refused);
    // The next step's code is good.
    await session(totpCode(secretBase32, new Date(clock.now().getTime() + 30_000)));

    const lenient = await startEmulator({ allowMfaCodeReuse: true });
    try {
      const user = await seedUser(lenient, { user: 'sts-mfa-reuse', mfa: true });
      const again = stsClient(lenient.url, creds(user.keys[0]!));
      const code = totpCode(user.mfa!.secretBase32);
      for (let i = 0; i < 2; i++) {
        const out = await again.send(
          new GetSessionTokenCommand({ SerialNumber: user.mfa!.serial, TokenCode: code }),
        );
        expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA/);
      }
    } finally {
      await lenient.close();
    }
  });

  it("takes a code from any of the user's devices, a hardware token (serial, not an ARN) included", async () => {
    const seeded = await seedUser(emulator, { user: 'sts-mfa-two', mfaDevices: ['virtual', 'hardware'] });
    const [virtual, hardware] = seeded.mfaDevices!;
    expect(virtual!.serial).toBe(`arn:aws:iam::${seeded.accountId}:mfa/sts-mfa-two`);
    expect(hardware!.serial).toMatch(/^GAHT\d{8}$/);
    const client = stsClient(emulator.url, creds(seeded.keys[0]!));
    for (const device of [hardware!, virtual!]) {
      const out = await client.send(
        new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: totpCode(device.secretBase32) }),
      );
      expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA/);
    }
  });
});
