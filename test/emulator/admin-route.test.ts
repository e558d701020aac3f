// The admin route answers loopback peers only, addressed by a loopback name, and never a browser; the
// API itself answers any peer the host lets in.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/emulator/admin-http.js';
import { seedUser, startEmulator } from '../../src/emulator/index.js';
import { adminRequest } from '../../src/emulator/seed.js';
import { stsClient } from './clients.js';

/** POSTs a seed request to a loopback emulator with exactly these headers (Host included). */
function seedWithHeaders(port: number, headers: Record<string, string>) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/__keyrot/admin/seed', method: 'POST', headers });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.end(JSON.stringify({ user: 'intruder' }));
  });
}

it('refuses admin requests addressed by another name (DNS rebinding) or sent by a browser; seed still works', async () => {
  const emulator = await startEmulator();
  try {
    const { port } = emulator;
    const rebound = await seedWithHeaders(port, { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.text).toContain('addressed to localhost or a loopback address only');
    const browserHeaders: Record<string, string>[] = [
      { origin: 'http://attacker.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-mode': 'no-cors' },
    ];
    for (const header of browserHeaders) {
      const browser = await seedWithHeaders(port, { host: `127.0.0.1:${port}`, ...header });
      expect(browser.status, JSON.stringify(header)).toBe(403);
      expect(browser.text).toContain('does not answer browsers');
    }
    // fetch() is a browser API and says so (Sec-Fetch-Mode): refused too.
    const fetched = await fetch(`${emulator.url}/__keyrot/admin/seed`, {
      method: 'POST',
      body: JSON.stringify({ user: 'intruder' }),
    });
    expect(fetched.status).toBe(403);
    expect(emulator.admin.keys('intruder')).toEqual([]);

    expect((await seedWithHeaders(port, { host: `localhost:${port}` })).status).toBe(200);
    expect(emulator.admin.keys('intruder')).toHaveLength(1);
    const seeded = await seedUser(emulator.url, { user: 'welcome' });
    expect(emulator.admin.keys('welcome').map((k) => k.accessKeyId)).toEqual([seeded.keys[0]!.accessKeyId]);
  } finally {
    await emulator.close();
  }
});

it('takes localhost and loopback literals, with or without a port, as loopback Host names', () => {
  for (const host of [
    'localhost',
    'localhost:80',
    '127.0.0.1:9',
    '127.1.2.3',
    '[::1]:4566',
    '[::ffff:127.0.0.1]',
  ]) {
    expect(isLoopbackHost(host), host).toBe(true);
  }
  for (const host of [
    undefined,
    '',
    'attacker.example',
    'localhost.attacker.example',
    '10.0.0.1:80',
    '[::2]',
    'a b',
  ]) {
    expect(isLoopbackHost(host), String(host)).toBe(false);
  }
});

const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

it.skipIf(!external)('refuses the admin route to a non-loopback peer, serves the API to it', async () => {
  const emulator = await startEmulator({ host: '0.0.0.0' });
  try {
    const user = await seedUser(`http://127.0.0.1:${emulator.port}`, { user: 'remote' });
    const remoteUrl = `http://${external}:${emulator.port}`;
    const refused = await adminRequest(
      new URL('/__keyrot/admin/seed', remoteUrl),
      'POST',
      JSON.stringify({ user: 'intruder' }),
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/loopback peers only/);
    expect(emulator.admin.keys('intruder')).toEqual([]);
    const me = await stsClient(remoteUrl, user.keys[0]!).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(user.arn);
  } finally {
    await emulator.close();
  }
});
