// Persistence: a restarted emulator keeps its users, keys and account; the file is 0600 and replaced
// atomically; a file that is not an emulator state is refused clearly.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { seedUser, startEmulator } from '../../src/emulator/index.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { tempDirSync } from '../support/cleanup.js';
import { iamClient, stsClient } from './clients.js';

describe('--state FILE', () => {
  it('keeps users, keys and last use across a restart, in a 0600 file replaced atomically', async () => {
    const dir = tempDirSync('emulator-state');
    const statePath = join(dir, 'state.json');
    const first = await startEmulator({ statePath });
    const seeded = await seedUser(first, { user: 'persistent', keyAgeDays: 10, mfa: true });
    const created = (await iamClient(first.url, seeded.keys[0]!)
      .send(new CreateAccessKeyCommand({ UserName: 'persistent' }))
      .catch((error: Error) => error)) as Error;
    // The MFA policy applies; seed an admin to create the key instead.
    expect(created.name).toBe('AccessDenied');
    const admin = await seedUser(first, { user: 'persistent-admin', admin: true });
    const key = (
      await iamClient(first.url, admin.keys[0]!).send(new CreateAccessKeyCommand({ UserName: 'persistent' }))
    ).AccessKey!;
    await first.close();

    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({
      version: 1,
      accountId: seeded.accountId,
    });

    const second = await startEmulator({ statePath });
    try {
      const fresh = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      const me = await stsClient(second.url, fresh).send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe(seeded.arn);
      const listed = await iamClient(second.url, seeded.keys[0]!).send(new ListAccessKeysCommand({}));
      expect(listed.AccessKeyMetadata!.map((k) => k.AccessKeyId)).toEqual([
        seeded.keys[0]!.accessKeyId,
        key.AccessKeyId,
      ]);
      expect(second.admin.keys('persistent-admin')[0]!.lastUsed?.serviceName).toBe('iam');
    } finally {
      await second.close();
    }
  });

  it('refuses a file that is not an emulator state, naming it', async () => {
    const dir = tempDirSync('emulator-state');
    const statePath = join(dir, 'state.json');
    writeFileSync(statePath, '[default]\naws_access_key_id = x\n');
    const error = await startEmulator({ statePath }).catch((caught: unknown) => caught);
    expect(isKeyrotError(error, 'FILE_INVALID')).toBe(true);
    expect((error as { file?: string }).file).toBe(statePath);
  });
});
