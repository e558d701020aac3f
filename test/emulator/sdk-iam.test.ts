// IAM through the real @aws-sdk/client-iam over HTTP: every action, the two-key limit, own-keys-only
// unless admin, the MFA policy, and the errors AWS answers with.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningEmulator,
  type SeededKey,
  seedUser,
  startEmulator,
  totpCode,
} from '../../src/emulator/index.js';
import { expectAwsError, iamClient, stsClient } from './clients.js';
import { offsetClock } from './clock.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => emulator.close());

const iam = (key: SeededKey | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  iamClient(emulator.url, {
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    ...('sessionToken' in key ? { sessionToken: key.sessionToken } : {}),
  });
const sts = (key: SeededKey) => stsClient(emulator.url, key);

describe('GetUser', () => {
  it('describes the caller, refuses other users to non-admins, finds them for admins', async () => {
    const alice = await seedUser(emulator, { user: 'iam-getuser-alice', keyAgeDays: 30 });
    const admin = await seedUser(emulator, { user: 'iam-getuser-admin', admin: true });
    const out = await iam(alice.keys[0]!).send(new GetUserCommand({}));
    expect(out.User).toMatchObject({
      UserName: 'iam-getuser-alice',
      Arn: alice.arn,
      UserId: alice.userId,
      Path: '/',
    });
    expect(out.User!.CreateDate).toBeInstanceOf(Date);
    await expectAwsError(
      iam(alice.keys[0]!).send(new GetUserCommand({ UserName: 'iam-getuser-admin' })),
      'AccessDenied',
      403,
      /is not authorized to perform: iam:GetUser on resource: user iam-getuser-admin/,
    );
    const other = await iam(admin.keys[0]!).send(new GetUserCommand({ UserName: 'iam-getuser-alice' }));
    expect(other.User!.Arn).toBe(alice.arn);
    await expectAwsError(
      iam(admin.keys[0]!).send(new GetUserCommand({ UserName: 'nobody-here' })),
      'NoSuchEntityException',
      404,
      /The user with name nobody-here cannot be found/,
    );
  });
});

describe('ListAccessKeys', () => {
  it('lists the keys with status and the backdated CreateDate, paginating with Marker/MaxItems', async () => {
    const bob = await seedUser(emulator, { user: 'iam-list-bob', keyAgeDays: 100, secondKey: 'inactive' });
    const client = iam(bob.keys[0]!);
    const all = await client.send(new ListAccessKeysCommand({}));
    expect(all.IsTruncated).toBe(false);
    expect(all.Marker).toBeUndefined();
    expect(all.AccessKeyMetadata!.map((key) => [key.AccessKeyId, key.Status, key.UserName])).toEqual([
      [bob.keys[0]!.accessKeyId, 'Active', 'iam-list-bob'],
      [bob.keys[1]!.accessKeyId, 'Inactive', 'iam-list-bob'],
    ]);
    const ageDays = (Date.now() - all.AccessKeyMetadata![0]!.CreateDate!.getTime()) / 86_400_000;
    expect(ageDays).toBeGreaterThan(99.9);
    expect(ageDays).toBeLessThan(100.1);

    const first = await client.send(new ListAccessKeysCommand({ MaxItems: 1 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toEqual(expect.any(String));
    expect(first.AccessKeyMetadata!.map((key) => key.AccessKeyId)).toEqual([bob.keys[0]!.accessKeyId]);
    const second = await client.send(new ListAccessKeysCommand({ MaxItems: 1, Marker: first.Marker }));
    expect(second.IsTruncated).toBe(false);
    expect(second.AccessKeyMetadata!.map((key) => key.AccessKeyId)).toEqual([bob.keys[1]!.accessKeyId]);

    await expectAwsError(
      client.send(new ListAccessKeysCommand({ MaxItems: 0 })),
      'ValidationError',
      400,
      /maxItems/,
    );
    await expectAwsError(
      client.send(new ListAccessKeysCommand({ Marker: 'not-a-marker' })),
      'ValidationError',
      400,
      /marker/,
    );
  });
});

describe('CreateAccessKey', () => {
  it('creates a working AKIA key with a 40-character secret, up to two keys (LimitExceeded, 409)', async () => {
    const carol = await seedUser(emulator, { user: 'iam-create-carol', keyAgeDays: 91 });
    const out = await iam(carol.keys[0]!).send(new CreateAccessKeyCommand({}));
    const key = out.AccessKey!;
    expect(key.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(key.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(key.Status).toBe('Active');
    expect(key.UserName).toBe('iam-create-carol');
    expect(Math.abs(key.CreateDate!.getTime() - Date.now())).toBeLessThan(5_000);
    const me = await stsClient(emulator.url, {
      accessKeyId: key.AccessKeyId!,
      secretAccessKey: key.SecretAccessKey!,
    }).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(carol.arn);
    await expectAwsError(
      iam(carol.keys[0]!).send(new CreateAccessKeyCommand({})),
      'LimitExceededException',
      409,
      /Cannot exceed quota for AccessKeysPerUser: 2/,
    );
  });
});

describe('UpdateAccessKey and DeleteAccessKey', () => {
  it('deactivates, reactivates and deletes own keys; the key stops and starts authenticating', async () => {
    const dave = await seedUser(emulator, { user: 'iam-update-dave', secondKey: 'active' });
    const [main, other] = dave.keys as [SeededKey, SeededKey];
    const client = iam(main);
    const update = await client.send(
      new UpdateAccessKeyCommand({ AccessKeyId: other.accessKeyId, Status: 'Inactive' }),
    );
    expect(update.$metadata.httpStatusCode).toBe(200);
    const listed = await client.send(new ListAccessKeysCommand({}));
    expect(listed.AccessKeyMetadata!.find((key) => key.AccessKeyId === other.accessKeyId)!.Status).toBe(
      'Inactive',
    );
    await expectAwsError(sts(other).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    await client.send(new UpdateAccessKeyCommand({ AccessKeyId: other.accessKeyId, Status: 'Active' }));
    expect((await sts(other).send(new GetCallerIdentityCommand({}))).Arn).toBe(dave.arn);

    const deleted = await client.send(new DeleteAccessKeyCommand({ AccessKeyId: other.accessKeyId }));
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    const after = await client.send(new ListAccessKeysCommand({}));
    expect(after.AccessKeyMetadata!.map((key) => key.AccessKeyId)).toEqual([main.accessKeyId]);
    await expectAwsError(sts(other).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  });

  it('answers ValidationError for bad parameters and NoSuchEntity (404) for keys that are not the user’s', async () => {
    const erin = await seedUser(emulator, { user: 'iam-update-erin' });
    const frank = await seedUser(emulator, { user: 'iam-update-frank' });
    const client = iam(erin.keys[0]!);
    await expectAwsError(
      client.send(
        new UpdateAccessKeyCommand({ AccessKeyId: erin.keys[0]!.accessKeyId, Status: 'Paused' as 'Active' }),
      ),
      'ValidationError',
      400,
      /Member must satisfy enum value set: \[Active, Inactive\]/,
    );
    await expectAwsError(
      client.send(new UpdateAccessKeyCommand({ AccessKeyId: 'short', Status: 'Active' })),
      'ValidationError',
      400,
      /accessKeyId/,
    );
    await expectAwsError(
      client.send(new UpdateAccessKeyCommand({ AccessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', Status: 'Inactive' })),
      'NoSuchEntityException',
      404,
      /The Access Key with id AKIAZZZZZZZZZZZZZZZZ cannot be found/,
    );
    await expectAwsError(
      client.send(new DeleteAccessKeyCommand({ AccessKeyId: frank.keys[0]!.accessKeyId })),
      'NoSuchEntityException',
      404,
    );
    await expectAwsError(
      client.send(
        new DeleteAccessKeyCommand({ AccessKeyId: frank.keys[0]!.accessKeyId, UserName: 'iam-update-frank' }),
      ),
      'AccessDenied',
      403,
      /iam:DeleteAccessKey on resource: user iam-update-frank/,
    );
  });

  it("lets an admin manage another user's keys", async () => {
    const admin = await seedUser(emulator, { user: 'iam-admin-root', admin: true });
    const gina = await seedUser(emulator, { user: 'iam-admin-gina' });
    const client = iam(admin.keys[0]!);
    const created = await client.send(new CreateAccessKeyCommand({ UserName: 'iam-admin-gina' }));
    expect(created.AccessKey!.UserName).toBe('iam-admin-gina');
    await client.send(
      new UpdateAccessKeyCommand({
        UserName: 'iam-admin-gina',
        AccessKeyId: gina.keys[0]!.accessKeyId,
        Status: 'Inactive',
      }),
    );
    await client.send(
      new DeleteAccessKeyCommand({ UserName: 'iam-admin-gina', AccessKeyId: gina.keys[0]!.accessKeyId }),
    );
    const listed = await client.send(new ListAccessKeysCommand({ UserName: 'iam-admin-gina' }));
    expect(listed.AccessKeyMetadata!.map((key) => key.AccessKeyId)).toEqual([created.AccessKey!.AccessKeyId]);
  });
});

describe('GetAccessKeyLastUsed', () => {
  it('reports N/A for an unused key, then the service, region and time of the last call', async () => {
    const hank = await seedUser(emulator, { user: 'iam-lastused-hank', secondKey: 'active' });
    const [main, spare] = hank.keys as [SeededKey, SeededKey];
    const unused = await iam(main).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: spare.accessKeyId }));
    expect(unused.UserName).toBe('iam-lastused-hank');
    expect(unused.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    const before = Date.now() - 1000;
    await stsClient(emulator.url, spare, { region: 'eu-west-1' }).send(new GetCallerIdentityCommand({}));
    const used = await iam(main).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: spare.accessKeyId }));
    expect(used.AccessKeyLastUsed!.ServiceName).toBe('sts');
    expect(used.AccessKeyLastUsed!.Region).toBe('eu-west-1');
    expect(used.AccessKeyLastUsed!.LastUsedDate!.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('with a last-used delay reports a use only once it is that old (IAM lags by up to hours)', async () => {
    const clock = offsetClock();
    const delayed = await startEmulator({ clock, lastUsedDelayMs: 10 * 60_000 });
    try {
      const kim = await seedUser(delayed, { user: 'iam-lastused-kim', secondKey: 'active' });
      const [main, spare] = kim.keys as [SeededKey, SeededKey];
      const ask = () =>
        iamClient(delayed.url, main).send(
          new GetAccessKeyLastUsedCommand({ AccessKeyId: spare.accessKeyId }),
        );
      await stsClient(delayed.url, spare, { region: 'eu-west-1' }).send(new GetCallerIdentityCommand({}));
      expect((await ask()).AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
      clock.offsetMs = 9 * 60_000;
      expect((await ask()).AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
      clock.offsetMs = 11 * 60_000;
      const used = (await ask()).AccessKeyLastUsed!;
      expect(used).toMatchObject({ ServiceName: 'sts', Region: 'eu-west-1' });
      expect(Date.now() - used.LastUsedDate!.getTime()).toBeLessThan(60_000);
      // The delay is a live setting too (admin route and in-process): 0 shows every use at once.
      delayed.admin.setLastUsedDelayMs(0);
      await stsClient(delayed.url, spare, { region: 'ap-south-1' }).send(new GetCallerIdentityCommand({}));
      expect((await ask()).AccessKeyLastUsed).toMatchObject({ ServiceName: 'sts', Region: 'ap-south-1' });
    } finally {
      await delayed.close();
    }
  });

  it("refuses another user's key to non-admins and answers NoSuchEntity for unknown keys", async () => {
    const ivan = await seedUser(emulator, { user: 'iam-lastused-ivan' });
    const judy = await seedUser(emulator, { user: 'iam-lastused-judy' });
    await expectAwsError(
      iam(ivan.keys[0]!).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: judy.keys[0]!.accessKeyId })),
      'AccessDenied',
      403,
    );
    await expectAwsError(
      iam(ivan.keys[0]!).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAZZZZZZZZZZZZZZZY' })),
      'NoSuchEntityException',
      404,
    );
  });
});

describe('ListMFADevices and the MFA policy', () => {
  it('lists the virtual MFA device; without an MFA session key changes are denied naming MFA', async () => {
    const kim = await seedUser(emulator, {
      user: 'iam-mfa-kim',
      keyAgeDays: 120,
      secondKey: 'inactive',
      mfa: true,
    });
    const [main, old] = kim.keys as [SeededKey, SeededKey];
    const devices = await iam(main).send(new ListMFADevicesCommand({}));
    expect(devices.IsTruncated).toBe(false);
    expect(devices.MFADevices!.map((device) => [device.UserName, device.SerialNumber])).toEqual([
      ['iam-mfa-kim', kim.mfa!.serial],
    ]);
    expect(devices.MFADevices![0]!.EnableDate).toBeInstanceOf(Date);
    // Reading is allowed without MFA; changing keys is not.
    expect((await iam(main).send(new ListAccessKeysCommand({}))).AccessKeyMetadata).toHaveLength(2);
    for (const call of [
      iam(main).send(new CreateAccessKeyCommand({})),
      iam(main).send(new UpdateAccessKeyCommand({ AccessKeyId: old.accessKeyId, Status: 'Active' })),
      iam(main).send(new DeleteAccessKeyCommand({ AccessKeyId: old.accessKeyId })),
    ]) {
      await expectAwsError(call, 'AccessDenied', 403, /explicit deny.*MFA/);
    }
    // A session without MFA may not call IAM at all, as with AWS.
    const plain = (await sts(main).send(new GetSessionTokenCommand({}))).Credentials!;
    const plainSession = {
      accessKeyId: plain.AccessKeyId!,
      secretAccessKey: plain.SecretAccessKey!,
      sessionToken: plain.SessionToken!,
    };
    await expectAwsError(iam(plainSession).send(new ListAccessKeysCommand({})), 'InvalidClientTokenId', 403);

    const session = (
      await sts(main).send(
        new GetSessionTokenCommand({
          SerialNumber: kim.mfa!.serial,
          TokenCode: totpCode(kim.mfa!.secretBase32),
        }),
      )
    ).Credentials!;
    const withMfa = iam({
      accessKeyId: session.AccessKeyId!,
      secretAccessKey: session.SecretAccessKey!,
      sessionToken: session.SessionToken!,
    });
    await withMfa.send(new DeleteAccessKeyCommand({ AccessKeyId: old.accessKeyId }));
    const created = await withMfa.send(new CreateAccessKeyCommand({}));
    await withMfa.send(new UpdateAccessKeyCommand({ AccessKeyId: main.accessKeyId, Status: 'Inactive' }));
    const listed = await withMfa.send(new ListAccessKeysCommand({}));
    expect(listed.AccessKeyMetadata!.map((key) => [key.AccessKeyId, key.Status])).toEqual([
      [main.accessKeyId, 'Inactive'],
      [created.AccessKey!.AccessKeyId, 'Active'],
    ]);
  });

  it('lists no devices for a user without MFA', async () => {
    const leo = await seedUser(emulator, { user: 'iam-mfa-leo' });
    const devices = await iam(leo.keys[0]!).send(new ListMFADevicesCommand({}));
    expect(devices.MFADevices).toEqual([]);
  });

  it('lists every device of a user with several, a hardware token among them, without MFA', async () => {
    const mia = await seedUser(emulator, {
      user: 'iam-mfa-mia',
      mfaDevices: ['virtual', 'hardware', 'virtual'],
    });
    const devices = await iam(mia.keys[0]!).send(new ListMFADevicesCommand({}));
    expect(devices.MFADevices!.map((device) => device.SerialNumber)).toEqual(
      mia.mfaDevices!.map((device) => device.serial),
    );
    expect(mia.mfaDevices!.map((device) => device.serial)).toEqual([
      `arn:aws:iam::${mia.accountId}:mfa/iam-mfa-mia`,
      expect.stringMatching(/^GAHT\d{8}$/),
      `arn:aws:iam::${mia.accountId}:mfa/iam-mfa-mia-3`,
    ]);
  });
});
