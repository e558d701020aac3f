// Eventual consistency and injected faults, observed through the real SDK over HTTP.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, type SeededKey, seedUser, startEmulator } from '../../src/emulator/index.js';
import { expectAwsError, iamClient, stsClient } from './clients.js';
import { offsetClock } from './clock.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('propagation delay', () => {
  it('rejects a new key for N ms; a deactivated or deleted key keeps working for N ms', async () => {
    // The emulator's clock is moved instead of waiting; 2 s is far inside the 15-minute skew allowance.
    const clock = offsetClock();
    emulator = await startEmulator({ propagationDelayMs: 2_000, clock });
    const user = await seedUser(emulator, { user: 'eventual', keyAgeDays: 1, secondKey: 'active' });
    const [main, other] = user.keys as [SeededKey, SeededKey];
    const url = emulator.url;
    // Seeded keys work at once.
    expect((await stsClient(url, other).send(new GetCallerIdentityCommand({}))).Arn).toBe(user.arn);

    await iamClient(url, main).send(new DeleteAccessKeyCommand({ AccessKeyId: other.accessKeyId }));
    expect((await stsClient(url, other).send(new GetCallerIdentityCommand({}))).Arn).toBe(user.arn);

    const created = (await iamClient(url, main).send(new CreateAccessKeyCommand({}))).AccessKey!;
    const fresh = { accessKeyId: created.AccessKeyId!, secretAccessKey: created.SecretAccessKey! };
    await expectAwsError(
      stsClient(url, fresh).send(new GetCallerIdentityCommand({})),
      'InvalidClientTokenId',
      403,
    );

    await iamClient(url, main).send(
      new UpdateAccessKeyCommand({ AccessKeyId: main.accessKeyId, Status: 'Inactive' }),
    );
    // Control-plane reads are immediate; authentication lags.
    const listed = await iamClient(url, fresh, {})
      .send(new ListAccessKeysCommand({}))
      .catch((error: Error) => error);
    expect(listed).toBeInstanceOf(Error);
    expect((await stsClient(url, main).send(new GetCallerIdentityCommand({}))).Arn).toBe(user.arn);

    clock.offsetMs = 2_100;
    expect((await stsClient(url, fresh).send(new GetCallerIdentityCommand({}))).Arn).toBe(user.arn);
    await expectAwsError(
      stsClient(url, main).send(new GetCallerIdentityCommand({})),
      'InvalidClientTokenId',
      403,
    );
    await expectAwsError(
      stsClient(url, other).send(new GetCallerIdentityCommand({})),
      'InvalidClientTokenId',
      403,
    );
    const keys = await iamClient(url, fresh).send(new ListAccessKeysCommand({}));
    expect(keys.AccessKeyMetadata!.map((key) => [key.AccessKeyId, key.Status])).toEqual([
      [main.accessKeyId, 'Inactive'],
      [fresh.accessKeyId, 'Active'],
    ]);
  });
});

describe('faults', () => {
  it('500: ServiceFailure, the action does not run; the SDK retries it when allowed', async () => {
    emulator = await startEmulator({ faults: ['CreateAccessKey:500:once'] });
    const user = await seedUser(emulator, { user: 'fault-500' });
    const client = iamClient(emulator.url, user.keys[0]!);
    await expectAwsError(client.send(new CreateAccessKeyCommand({})), 'ServiceFailureException', 500);
    expect(emulator.admin.keys('fault-500')).toHaveLength(1);
    emulator.admin.addFault('GetCallerIdentity:500:2');
    const sts = stsClient(emulator.url, user.keys[0]!, { maxAttempts: 3 });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    expect(emulator.admin.requestCount('GetCallerIdentity')).toBe(3);
    await expectAwsError(
      stsClient(emulator.url, user.keys[0]!)
        .send(new GetCallerIdentityCommand({}))
        .then(() => {
          emulator!.admin.addFault('GetCallerIdentity:500');
          return stsClient(emulator!.url, user.keys[0]!).send(new GetCallerIdentityCommand({}));
        }),
      'InternalFailure',
      500,
    );
  });

  it('throttle: 400 Throttling "Rate exceeded" COUNT times, then the action runs', async () => {
    emulator = await startEmulator({ faults: ['UpdateAccessKey:throttle:2'] });
    const user = await seedUser(emulator, { user: 'fault-throttle', secondKey: 'active' });
    const client = iamClient(emulator.url, user.keys[0]!);
    const update = () =>
      client.send(new UpdateAccessKeyCommand({ AccessKeyId: user.keys[1]!.accessKeyId, Status: 'Inactive' }));
    const status = () =>
      emulator!.admin.keys('fault-throttle').find((key) => key.accessKeyId === user.keys[1]!.accessKeyId)!
        .status;
    await expectAwsError(update(), 'Throttling', 400, /Rate exceeded/);
    await expectAwsError(update(), 'Throttling', 400, /Rate exceeded/);
    expect(status()).toBe('Active');
    await update();
    expect(status()).toBe('Inactive');
  });

  it('reset: the connection drops without an answer', async () => {
    emulator = await startEmulator({ faults: ['GetCallerIdentity:reset:once'] });
    const user = await seedUser(emulator, { user: 'fault-reset' });
    const error = (await stsClient(emulator.url, user.keys[0]!)
      .send(new GetCallerIdentityCommand({}))
      .catch((caught: unknown) => caught)) as Error & {
      code?: string;
      $metadata?: { httpStatusCode?: number };
    };
    expect(error).toBeInstanceOf(Error);
    expect(`${error.code} ${error.message}`).toMatch(/ECONNRESET|socket hang up/);
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect((await stsClient(emulator.url, user.keys[0]!).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      user.arn,
    );
  });

  it('timeout: no answer until the client gives up', async () => {
    emulator = await startEmulator({ faults: ['ListAccessKeys:timeout:once'] });
    const user = await seedUser(emulator, { user: 'fault-timeout' });
    const started = Date.now();
    const error = (await iamClient(emulator.url, user.keys[0]!, { requestTimeoutMs: 300 })
      .send(new ListAccessKeysCommand({}))
      .catch((caught: unknown) => caught)) as Error;
    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const out = await iamClient(emulator.url, user.keys[0]!).send(new ListAccessKeysCommand({}));
    expect(out.AccessKeyMetadata).toHaveLength(1);
  });

  it('reset-after: the key is created but the answer is lost (the lost-secret case)', async () => {
    emulator = await startEmulator({ faults: ['CreateAccessKey:reset-after'] });
    const user = await seedUser(emulator, { user: 'fault-reset-after' });
    const error = await iamClient(emulator.url, user.keys[0]!)
      .send(new CreateAccessKeyCommand({}))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.admin.keys('fault-reset-after')).toHaveLength(2);
  });

  it('timeout-after: the key is deactivated but no answer comes', async () => {
    emulator = await startEmulator({ faults: ['UpdateAccessKey:timeout-after:once'] });
    const user = await seedUser(emulator, { user: 'fault-timeout-after', secondKey: 'active' });
    const spare = user.keys[1]!.accessKeyId;
    const error = (await iamClient(emulator.url, user.keys[0]!, { requestTimeoutMs: 300 })
      .send(new UpdateAccessKeyCommand({ AccessKeyId: spare, Status: 'Inactive' }))
      .catch((caught: unknown) => caught)) as Error;
    expect(error.name).toBe('TimeoutError');
    expect(emulator.admin.keys('fault-timeout-after').find((key) => key.accessKeyId === spare)!.status).toBe(
      'Inactive',
    );
  });

  it('latency: every answer is delayed', async () => {
    emulator = await startEmulator({ latencyMs: 150 });
    const user = await seedUser(emulator, { user: 'fault-latency' });
    const started = performance.now();
    await stsClient(emulator.url, user.keys[0]!).send(new GetCallerIdentityCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });
});
