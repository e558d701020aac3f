// The record of an empty rotation journal (src/state/journal-empty.ts): what counts as "known empty"
// (only a whole record of the same keychain) and how it is written and withdrawn.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { realFs } from '../../src/fs/fs-port.js';
import { keychainIdentity } from '../../src/keychain/service-name.js';
import { JournalEmptyFile, journalEmptyPath, journalKnownEmpty } from '../../src/state/journal-empty.js';
import { tempDir } from '../support/cleanup.js';

const ID = keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: 'keyrot' });

describe('the record of an empty journal', () => {
  it('is known empty only once written, for the keychain it names, and not after its withdrawal', async () => {
    const stateDir = join(await tempDir('journal-empty'), 'state');
    const record = new JournalEmptyFile(stateDir, ID);
    expect(await journalKnownEmpty(stateDir, ID)).toBe(false);
    await record.write();
    expect(await journalKnownEmpty(stateDir, ID)).toBe(true);
    // Another service's keychain, or the file backend, is not spoken for.
    expect(
      await journalKnownEmpty(stateDir, keychainIdentity('os', { KEYROT_KEYCHAIN_SERVICE: 'other' })),
    ).toBe(false);
    expect(
      await journalKnownEmpty(stateDir, keychainIdentity('file', { KEYROT_KEYCHAIN_SERVICE: 'keyrot' })),
    ).toBe(false);
    expect((await stat(journalEmptyPath(stateDir))).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    await record.withdraw();
    expect(await journalKnownEmpty(stateDir, ID)).toBe(false);
    // Withdrawing what is not there is no error.
    await record.withdraw();
  });

  it('reads a damaged, older or foreign record, or a directory in its place, as unknown', async () => {
    const stateDir = await tempDir('journal-empty');
    const file = journalEmptyPath(stateDir);
    for (const text of [
      '',
      '{',
      'null',
      '{"keychain":"os:keyrot"}',
      '{"version":2,"keychain":"os:keyrot"}',
    ]) {
      await writeFile(file, text);
      expect(await journalKnownEmpty(stateDir, ID), text).toBe(false);
    }
    await writeFile(file, `${JSON.stringify({ version: 1, keychain: ID })}\n`);
    expect(await journalKnownEmpty(stateDir, ID)).toBe(true);
    const elsewhere = await tempDir('journal-empty');
    await mkdir(journalEmptyPath(elsewhere));
    expect(await journalKnownEmpty(elsewhere, ID)).toBe(false);
  });

  it('holds no key id or secret: only the version and the keychain it speaks for', async () => {
    const stateDir = await tempDir('journal-empty');
    await new JournalEmptyFile(stateDir, ID).write();
    expect(JSON.parse(await readFile(journalEmptyPath(stateDir), 'utf8'))).toEqual({
      version: 1,
      keychain: 'os:keyrot',
    });
  });

  it('fails a withdrawal it cannot make (FILE_WRITE_FAILED), so no journal write follows', async () => {
    const stateDir = await tempDir('journal-empty');
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const fs = {
      ...realFs,
      rules: 'posix' as const,
      unlink: async () => {
        throw denied;
      },
    };
    const record = new JournalEmptyFile(stateDir, ID, { fs });
    await record.write();
    const error = await record.withdraw().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKeyrotError(error) && error.code).toBe('FILE_WRITE_FAILED');
    expect(await journalKnownEmpty(stateDir, ID)).toBe(true);
  });
});
