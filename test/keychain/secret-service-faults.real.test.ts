// The Secret Service backend when things go wrong, each on a private bus and gnome-keyring of its own
// (see private-secret-service.ts), so locking, freezing or restarting it disturbs no other suite.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import {
  SecretServiceStore,
  type SecretServiceStoreOptions,
} from '../../src/keychain/secret-service/store.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith, realPartsAvailable } from '../support/real-part.js';
import { frozenFor, keyrotFailure } from './fault-helpers.js';
import { type PrivateSecretService, startPrivateSecretService } from './private-secret-service.js';

const describeReal = describeWith('secretService');

let secrets: PrivateSecretService;
const stores: SecretServiceStore[] = [];
beforeEach(async () => {
  if (realPartsAvailable('secretService', 'dbusTools')) secrets = await startPrivateSecretService();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await secrets?.stop();
});

function store(options: Omit<SecretServiceStoreOptions, 'env'> = {}): SecretServiceStore {
  const opened = new SecretServiceStore(`keyrot-test-${randomBytes(4).toString('hex')}`, {
    ...options,
    env: secrets.env,
  });
  stores.push(opened);
  return opened;
}

describeReal('Secret Service backend when the service misbehaves', () => {
  it('never sends a secret in clear: the bus only carries it AES-encrypted in a DH session', async () => {
    const monitor = spawn('dbus-monitor', ['--session', '--binary'], {
      env: secrets.env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    monitor.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const seen = (text: string) => Buffer.concat(chunks).includes(Buffer.from(text));
    const mark = async (label: string) => {
      // A call the monitor must see: once it shows up, everything sent before it was captured too.
      for (let i = 0; i < 600 && !seen(label); i++) {
        secrets.send(
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.ReadAlias',
          `string:${label}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(seen(label)).toBe(true);
    };
    try {
      await mark('keyrot-monitor-ready');
      const canary = `plaintext-canary-${randomBytes(6).toString('hex')}`;
      const s = store();
      await s.set('secret', canary);
      expect(await s.get('secret')).toBe(canary);
      await mark('keyrot-monitor-done');
      expect(seen('dh-ietf1024-sha256-aes128-cbc-pkcs7')).toBe(true);
      expect(seen('CreateItem') && seen('GetSecret')).toBe(true);
      expect(seen(canary)).toBe(false);
    } finally {
      monitor.kill();
    }
  });

  it('reports a locked keyring as KEYCHAIN_UNAVAILABLE (exit 5) with how to unlock it, for every call', async () => {
    const s = store();
    await s.set('journal', 'before the lock');
    secrets.send(
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.Lock',
      'array:objpath:/org/freedesktop/secrets/collection/login',
    );
    // Each failure is caught as soon as it happens: the calls run together.
    const failures = await Promise.all(
      [s.get('journal'), s.set('journal', 'x'), s.delete('journal'), store().set('new', 'x')].map(
        keyrotFailure,
      ),
    );
    for (const error of failures) {
      expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
      expect(error.exitCode).toBe(5);
      expect(error.message).toMatch(/no unlocked keyring/);
      expect(error.hint).toMatch(/gnome-keyring-daemon --unlock.*keychain = file/);
    }
    const stateDir = await tempDir('locked');
    await expect(openKeychain({ env: {}, stateDir, store: store() })).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
  });

  it('waits out a Secret Service that stops answering for longer than one call timeout', async () => {
    const s = store({ callTimeoutMs: 300 });
    await s.set('journal', 'before');
    const started = Date.now();
    await frozenFor(secrets.keyringPid(), 1_500, () => s.set('journal', 'after'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(await s.get('journal')).toBe('after');
    expect(await s.delete('journal')).toBe(true);
  });

  it('gives up after its patience with a message that says the keychain timed out, not that there is no bus', async () => {
    const s = store({ callTimeoutMs: 300, patience: { totalMs: 0 } });
    await s.set('journal', 'before');
    const error = await frozenFor(secrets.keyringPid(), 1_000, () => keyrotFailure(s.get('journal')));
    expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(error.message).toContain('did not answer in time');
    expect(error.message).not.toContain('no D-Bus session bus');
  });

  it('opens a new session when gnome-keyring restarts under it', async () => {
    const s = store();
    await s.set('journal', 'kept across the restart');
    const before = secrets.keyringPid();
    await secrets.restartKeyring();
    expect(secrets.keyringPid()).not.toBe(before);
    expect(await s.get('journal')).toBe('kept across the restart');
    await s.set('journal', 'written to the new one');
    expect(await s.get('journal')).toBe('written to the new one');
  });

  it('says there is no bus when the bus goes away under an open store', async () => {
    const s = store();
    await s.set('journal', 'x');
    await secrets.stop();
    const error = await keyrotFailure(s.get('journal'));
    expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(error.message).toMatch(/no D-Bus session bus/);
  });
});
