// The keychain layer (openKeychain, chunked values, backups) on the session's real gnome-keyring, checked
// against an independent reader, secret-tool.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore, LARGE_ENTRY_CHARS, MAX_ENTRY_CHARS } from '../../src/keychain/chunked-values.js';
import { type Keychain, openKeychain } from '../../src/keychain/open-keychain.js';
import { SecretServiceStore } from '../../src/keychain/secret-service/store.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const describeReal = describeWith('secretService');

/** A keychain service name of this test alone, so suites never collide. */
function freshService(): string {
  return `keyrot-test-${randomBytes(4).toString('hex')}`;
}

/** A string of exactly `bytes` UTF-8 bytes that brotli barely shrinks. */
function randomText(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4) + 3)
    .toString('base64')
    .slice(0, bytes);
}

/** `secret-tool lookup service S username U` — an independent reader of the Secret Service. */
function lookup(service: string, account: string): string | null {
  try {
    return execFileSync('secret-tool', ['lookup', 'service', service, 'username', account], {
      encoding: 'utf8',
    });
  } catch {
    return null;
  }
}

/** How many items `secret-tool search --all service S` finds. */
function countItems(service: string): number {
  const out = execFileSync('secret-tool', ['search', '--all', 'service', service], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (out.match(/^\[\//gm) ?? []).length;
}

let stateDir: string;
beforeAll(async () => {
  stateDir = await tempDir('keychain');
});

const opened: Keychain[] = [];
afterEach(async () => {
  for (const keychain of opened.splice(0)) await keychain.close?.();
});

async function open(service: string): Promise<Keychain> {
  const keychain = await openKeychain({ env: { KEYROT_KEYCHAIN_SERVICE: service }, stateDir });
  opened.push(keychain);
  return keychain;
}

describeReal('the keychain (chunked values, backups) on a real Secret Service (gnome-keyring)', () => {
  it.each([1, 2559, 2561])(
    'round-trips %i bytes in Windows-sized chunks; secret-tool sees every entry',
    async (size) => {
      const service = freshService();
      const keychain = await open(service);
      expect(keychain.location).toBe(`the OS keychain, service "${service}"`);
      // The budget every platform accepts (Windows: 2,560 bytes of UTF-16), on a real keychain.
      const values = new ChunkedValueStore(keychain.values.store, { maxEntryChars: MAX_ENTRY_CHARS });
      const value = randomText(size);
      await values.put('backup:x', value);
      // Read back over a connection of its own, not the writer's.
      const readerStore = new SecretServiceStore(service);
      try {
        const reader = new ChunkedValueStore(readerStore, { maxEntryChars: MAX_ENTRY_CHARS });
        expect(await reader.get('backup:x')).toBe(value);
      } finally {
        await readerStore.close();
      }

      const head = JSON.parse(lookup(service, 'h/backup:x')!) as {
        cur: { gen: string; n: number; d?: string };
      };
      // A value that fits in the head entry is stored inline there (no chunks); larger ones are chunked.
      expect(head.cur.n).toBe(size > 2000 ? 3 : 0);
      expect(head.cur.d !== undefined).toBe(size <= 2000);
      for (let i = 0; i < head.cur.n; i++) {
        const chunk = lookup(service, `c/backup:x/${head.cur.gen}/${i}`);
        expect(chunk?.length).toBeGreaterThan(0);
        expect(chunk!.length).toBeLessThanOrEqual(1000);
      }
      expect(lookup(service, `c/backup:x/${head.cur.gen}/${head.cur.n}`)).toBeNull();
      expect(await values.list()).toEqual(['backup:x']);

      await values.delete('backup:x');
      expect(lookup(service, 'h/backup:x')).toBeNull();
      // Only the index's head (holding the index inline) remains; the probe entry is gone too.
      expect(countItems(service)).toBe(1);
    },
  );

  it('round-trips 1,000,000 incompressible bytes in chunks of the Secret Service budget', async () => {
    const service = freshService();
    const keychain = await open(service);
    const value = randomText(1_000_000);
    await keychain.values.put('big', value);
    const head = JSON.parse(lookup(service, 'h/big')!) as { cur: { n: number; gen: string } };
    expect(head.cur.n).toBeGreaterThan(10);
    expect(lookup(service, `c/big/${head.cur.gen}/0`)!.length).toBe(LARGE_ENTRY_CHARS);
    expect(await (await open(service)).values.get('big')).toBe(value);
    // A big keyring slows every later write of every suite sharing it: leave nothing behind.
    await keychain.values.delete('big');
    expect(countItems(service)).toBe(1);
  });

  it('reports a chunk changed by another program (secret-tool store) as KEYCHAIN_CORRUPT, not wrong data', async () => {
    const service = freshService();
    const keychain = await open(service);
    await new ChunkedValueStore(keychain.values.store, { maxEntryChars: MAX_ENTRY_CHARS }).put(
      'backup:y',
      randomText(2561),
    );
    const head = JSON.parse(lookup(service, 'h/backup:y')!) as { cur: { gen: string; n: number } };
    const account = `c/backup:y/${head.cur.gen}/1`;
    const chunk = lookup(service, account)!;
    const tampered = chunk.slice(0, 50) + (chunk[50] === 'Q' ? 'R' : 'Q') + chunk.slice(51);
    execFileSync('secret-tool', ['store', '--label', 'tamper', 'service', service, 'username', account], {
      input: tampered,
    });
    const error = await (await open(service)).values.get('backup:y').catch((e: unknown) => e);
    expect(isKeyrotError(error, 'KEYCHAIN_CORRUPT')).toBe(true);
    expect((error as Error).message).toBe(
      `the keychain value "backup:y" is corrupt: chunk 2 of ${head.cur.n} fails its checksum`,
    );
  });

  it('retention: 12 backups with keep=10 leaves the 10 newest; the pruned ones are gone from the keyring', async () => {
    const service = freshService();
    const { values } = await open(service);
    const backups = new BackupStore(values, { keep: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await backups.backup(`generation ${i}\n`, { file: '/f', reason: 'manual' })).id);
    expect((await backups.list()).map((b) => b.id)).toEqual(ids.slice(2).reverse());
    // The last pruned content is deleted after its backup returned.
    await values.idle();
    for (const id of ids.slice(0, 2)) expect(lookup(service, `h/backup:${id}`)).toBeNull();
    expect(lookup(service, `h/backup:${ids[2]}`)).not.toBeNull();
    expect((await backups.read(ids[11]!)).content.toString()).toBe('generation 11\n');
  });
});
