// The admin route answers loopback peers only; the API itself answers any peer the host lets in.
import { networkInterfaces } from 'node:os';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { expect, it } from 'vitest';
import { seedUser, startEmulator } from '../../src/emulator/index.js';
import { stsClient } from './clients.js';

const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

it.skipIf(!external)('refuses the admin route to a non-loopback peer, serves the API to it', async () => {
  const emulator = await startEmulator({ host: '0.0.0.0' });
  try {
    const user = await seedUser(`http://127.0.0.1:${emulator.port}`, { user: 'remote' });
    const remoteUrl = `http://${external}:${emulator.port}`;
    const refused = await fetch(`${remoteUrl}/__keyrot/admin/seed`, {
      method: 'POST',
      body: JSON.stringify({ user: 'intruder' }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/loopback peers only/);
    expect(emulator.admin.keys('intruder')).toEqual([]);
    const me = await stsClient(remoteUrl, user.keys[0]!).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(user.arn);
  } finally {
    await emulator.close();
  }
});
