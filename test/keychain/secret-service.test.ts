// The Secret Service backend without a Secret Service: finding the bus, failing properly without one,
// and the key exchange checked against Node's own Diffie-Hellman of the same group.
import { getDiffieHellman } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openKeychain } from '../../src/keychain/open-keychain.js';
import { sessionBusSocket } from '../../src/keychain/secret-service/bus-address.js';
import { generateDhKeyPair } from '../../src/keychain/secret-service/dh-key.js';
import { SecretServiceStore } from '../../src/keychain/secret-service/store.js';
import { tempDir } from '../support/cleanup.js';
import { keyrotFailure } from './fault-helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('ss-unit');
});

describe('sessionBusSocket', () => {
  it('takes the first unix path or abstract socket of DBUS_SESSION_BUS_ADDRESS', () => {
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/dbus-x,guid=ab12' })).toEqual({
      path: '/tmp/dbus-x',
    });
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'unix:abstract=/tmp/dbus-y,guid=1' })).toEqual({
      path: '\0/tmp/dbus-y',
    });
    expect(
      sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=localhost,port=1;unix:path=/run/a%20b/bus' }),
    ).toEqual({ path: '/run/a b/bus' });
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=localhost,port=1' })).toBeNull();
  });

  it('falls back to $XDG_RUNTIME_DIR/bus (a systemd user bus) only when it exists', async () => {
    expect(sessionBusSocket({ XDG_RUNTIME_DIR: dir })).toBeNull();
    await writeFile(join(dir, 'bus'), '');
    expect(sessionBusSocket({ XDG_RUNTIME_DIR: dir })).toEqual({ path: join(dir, 'bus') });
    expect(sessionBusSocket({})).toBeNull();
  });
});

describe('SecretServiceStore without a Secret Service', () => {
  it.each([
    ['no bus address at all', {}],
    ['a bus address whose socket does not exist', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }],
  ])('%s: KEYCHAIN_UNAVAILABLE (exit 5) saying there is no bus, with how to fix it', async (_name, env) => {
    const store = new SecretServiceStore('keyrot-test', { env });
    // Each failure is caught as soon as it happens: the calls run together.
    const failures = await Promise.all(
      [store.get('a'), store.set('a', 'secret-value-123'), store.delete('a')].map(keyrotFailure),
    );
    for (const error of failures) {
      expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
      expect(error.exitCode).toBe(5);
      expect(error.message).toMatch(/no D-Bus session bus/);
      expect(error.message).not.toContain('secret-value-123');
      expect(error.hint).toMatch(/gnome-keyring.*keychain = file/);
    }
    await expect(openKeychain({ env: {}, stateDir: dir, store })).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
  });

  it('a socket that is not a D-Bus bus: closed during authentication, or silent, is no bus', async () => {
    const servers: Server[] = [];
    const listen = async (name: string, onConnection: (socket: import('node:net').Socket) => void) => {
      const server = createServer(onConnection);
      servers.push(server);
      const path = join(dir, name);
      await new Promise<void>((resolve) => server.listen(path, resolve));
      return path;
    };
    try {
      const closing = await listen('closing', (socket) => socket.destroy());
      const silent = await listen('silent', () => undefined);
      for (const path of [closing, silent]) {
        const store = new SecretServiceStore('keyrot-test', {
          env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` },
          callTimeoutMs: 200,
        });
        const error = await keyrotFailure(store.get('a'));
        expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
        expect(error.message).toMatch(/no D-Bus session bus/);
      }
    } finally {
      for (const server of servers) server.close();
    }
  });
});

describe('generateDhKeyPair', () => {
  it("agrees on the 128-byte shared secret with Node's modp2 Diffie-Hellman, both ways", () => {
    for (let i = 0; i < 5; i++) {
      const ours = generateDhKeyPair();
      const theirs = getDiffieHellman('modp2');
      theirs.generateKeys();
      const secret = ours.sharedSecret(theirs.getPublicKey());
      expect(secret.length).toBe(128);
      expect(secret.equals(theirs.computeSecret(ours.publicKey))).toBe(true);
    }
  });
});
