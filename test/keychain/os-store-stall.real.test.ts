// A busy Secret Service is slow, not gone. The Secret Service library gives each D-Bus call 2 s; on a
// loaded 2-core machine gnome-keyring (which rewrites its whole keyring file on every change) can
// take longer, and keyrot used to report that as KEYCHAIN_UNAVAILABLE (exit 5, "no D-Bus session
// bus"). Here the session's real gnome-keyring is frozen (SIGSTOP) for longer than that, then thawed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { OsSecretStore } from '../../src/keychain/os-store.js';
import { requireRealPart } from '../support/real-part.js';
import { frozenFor } from './fault-helpers.js';

const describeReal = requireRealPart(
  'Secret Service',
  process.env.KEYROT_TEST_SECRET_SERVICE === '1',
  'run through scripts/test-session.sh with gnome-keyring and dbus installed',
);

/** The pid of the process that owns org.freedesktop.secrets on the session bus (this session's gnome-keyring). */
function secretServicePid(): number {
  const out = execFileSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/',
      'org.freedesktop.DBus.GetConnectionUnixProcessID',
      'string:org.freedesktop.secrets',
    ],
    { encoding: 'utf8' },
  );
  const pid = Number(/uint32 (\d+)/.exec(out)?.[1]);
  if (!pid) throw new Error(`no Secret Service pid in: ${out}`);
  return pid;
}

describeReal('OS keychain when the Secret Service stalls', () => {
  it('waits out a Secret Service that does not answer for longer than the 2 s D-Bus timeout', async () => {
    const store = new OsSecretStore(`keyrot-test-${randomBytes(4).toString('hex')}`);
    await store.set('journal', 'before');
    const pid = secretServicePid();
    const started = Date.now();
    await frozenFor(pid, 3_500, async () => {
      await store.set('journal', 'after');
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(await store.get('journal')).toBe('after');
    expect(await store.delete('journal')).toBe(true);
  }, 60_000);

  it('gives up after its patience with a message that says the keychain timed out, not that there is no bus', async () => {
    const store = new OsSecretStore(`keyrot-test-${randomBytes(4).toString('hex')}`, 'linux', { totalMs: 0 });
    const pid = secretServicePid();
    const error = await frozenFor(pid, 2_500, () => store.get('anything').catch((e: unknown) => e));
    expect(isKeyrotError(error, 'KEYCHAIN_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('did not answer in time');
    expect((error as Error).message).not.toContain('no D-Bus session bus');
  }, 60_000);
});
