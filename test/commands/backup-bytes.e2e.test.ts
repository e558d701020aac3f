// Backups are the file's bytes: a credentials file that is not plain UTF-8 text (a BOM, CRLF and a
// Latin-1 comment) is backed up by a real rotation and restored byte for byte, through the built CLI.
import { readFile, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { describeWith } from '../support/real-part.js';
import { suiteWorlds } from './harness.js';

describeWith('secretService')('backups are bytes', () => {
  const { secrets, seededWorld } = suiteWorlds();

  it('restores a rotated file with a BOM, CRLF and a Latin-1 byte exactly as it was', async () => {
    const { w, key } = await seededWorld('bytes-user');
    const original = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('# caf'),
      Buffer.from([0xe9]), // é in Latin-1: not valid UTF-8
      Buffer.from(
        `\r\n[p]\r\naws_access_key_id = ${key.accessKeyId}\r\naws_secret_access_key = ${key.secretAccessKey}\r\n`,
      ),
    ]);
    await writeFile(w.credentialsFile, original, { mode: 0o600 });

    const rotated = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    const { backupId } = JSON.parse(rotated.stdout).profiles[0];
    const listed = JSON.parse((await w.run(['backup', 'list', '--json'])).stdout).backups;
    expect(listed.find((b: { id: string }) => b.id === backupId).size).toBe(original.length);

    const restored = await w.run(['backup', 'restore', backupId, '--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    const after = await readFile(w.credentialsFile);
    expect(after.length).toBe(original.length);
    expect(after.equals(original)).toBe(true);
    // Restoring again finds the bytes equal (the compare is of bytes, not decoded text).
    const again = await w.run(['backup', 'restore', backupId, '--yes']);
    expect(again.stdout).toContain('already matches');
  });
});
