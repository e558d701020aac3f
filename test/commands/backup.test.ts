import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { backupCommand } from '../../src/commands/backup.js';
import type { CommandContext } from '../../src/commands/context.js';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { BackupStore } from '../../src/keychain/backups.js';
import { ChunkedValueStore } from '../../src/keychain/chunked-values.js';
import { MemorySecretStore } from '../../src/keychain/memory-store.js';
import type { Keychain } from '../../src/keychain/open-keychain.js';
import { tempDir } from '../support/cleanup.js';

const ORIGINAL = [
  '# my keys',
  '[default]',
  'aws_access_key_id = AKIAORIGINALKEY0001',
  'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYORIGINAL01',
  '',
  '[temp]',
  'aws_access_key_id=ASIATEMPORARYKEY0002',
  'aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbTEMPORARY2',
  'aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtokenTOKENtokenTOKENtokenTOKEN',
  '',
].join('\r\n');

let dir: string;
let keychain: Keychain;
beforeEach(async () => {
  dir = await tempDir('backup-cmd');
  keychain = { values: new ChunkedValueStore(new MemorySecretStore()), backend: 'os', location: 'memory' };
});

function context(options: { isTTY?: boolean; input?: string } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  if (options.input !== undefined) stdin.end(options.input);
  const ctx: CommandContext = {
    globals: { verbose: false },
    io: { stdout, stderr, stdin, isTTY: options.isTTY ?? false, env: {} },
  };
  return { ctx, out: () => out, err: () => err };
}

async function run(
  args: string[],
  extra: { json?: boolean; yes?: boolean; isTTY?: boolean; input?: string } = {},
) {
  const c = context(extra);
  const code = await backupCommand({ args, json: extra.json, yes: extra.yes }, c.ctx, { keychain, keep: 10 });
  return { code, stdout: c.out(), stderr: c.err() };
}

async function seedBackup(file: string, content: string) {
  const { reused: _, ...info } = await new BackupStore(keychain.values).backup(content, {
    file,
    reason: 'rotation of profile default',
  });
  return info;
}

describe('keyrot backup', () => {
  it('lists backups as a table and as one JSON document, without content', async () => {
    expect((await run(['list'])).stdout).toMatch(/^No backups yet/);
    const info = await seedBackup('/home/a/.aws/credentials', ORIGINAL);
    const table = await run(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TIME\s+SIZE\s+FILE\s+REASON$/);
    expect(table.stdout).toContain(`${info.id}  ${info.createdAt.replace(/\.\d+Z$/, 'Z')}  ${info.size}`);
    expect(table.stdout).toContain('/home/a/.aws/credentials  rotation of profile default');
    const json = await run(['list'], { json: true });
    expect(JSON.parse(json.stdout)).toEqual({ backups: [info] });
    expect(json.stdout).not.toContain('AKIA');
  });

  it('shows a backup with secrets replaced and key ids masked, keeping every other byte', async () => {
    const info = await seedBackup('/f', ORIGINAL);
    const shown = await run(['show', info.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(
      [
        '# my keys',
        '[default]',
        'aws_access_key_id = AKIA…0001',
        'aws_secret_access_key = ********',
        '',
        '[temp]',
        'aws_access_key_id=ASIA…0002',
        'aws_secret_access_key=********',
        'aws_session_token = ********',
        '',
      ].join('\r\n'),
    );
    expect(shown.stderr).toContain(`backup ${info.id} of /f`);
  });

  it('restores with --yes: backs up the current file first, writes the backup byte for byte', async () => {
    const file = join(dir, 'credentials');
    const info = await seedBackup(file, ORIGINAL);
    const edited = ORIGINAL.replace('AKIAORIGINALKEY0001', 'AKIAROTATEDKEY00003');
    await writeFile(file, edited, { mode: 0o600 });
    const restored = await run(['restore', info.id], { yes: true });
    expect(restored.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // The edit lock (shared with the credentials engine) and the temp file are gone.
    expect(await readdir(dir)).toEqual(['credentials']);
    const list = await new BackupStore(keychain.values).list();
    expect(list.map((b) => b.reason)).toEqual([
      `before restore of ${info.id}`,
      'rotation of profile default',
    ]);
    expect((await new BackupStore(keychain.values).read(list[0]!.id)).content.toString()).toBe(edited);
    expect(restored.stdout).toBe(
      `Restored ${file} from backup ${info.id}. Its previous content is backup ${list[0]!.id}.\n`,
    );
  });

  it('refuses to restore without --yes when not on a terminal (exit 2), changing nothing', async () => {
    const file = join(dir, 'credentials');
    const info = await seedBackup(file, ORIGINAL);
    await writeFile(file, 'edited');
    const error = await run(['restore', info.id]).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'CONFIRMATION_REQUIRED')).toBe(true);
    expect((error as { exitCode: number }).exitCode).toBe(2);
    expect(await readFile(file, 'utf8')).toBe('edited');
    expect(await new BackupStore(keychain.values).list()).toHaveLength(1);
  });

  it('asks on a terminal: "y" restores, anything else changes nothing', async () => {
    const file = join(dir, 'credentials');
    const info = await seedBackup(file, ORIGINAL);
    await writeFile(file, 'edited');
    const declined = await run(['restore', info.id], { isTTY: true, input: 'n\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain(`Replace ${file} with backup ${info.id}`);
    expect(declined.stderr).toContain('Nothing changed.');
    expect(await readFile(file, 'utf8')).toBe('edited');
    const accepted = await run(['restore', info.id], { isTTY: true, input: 'y\n' });
    expect(accepted.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
  });

  it('restores a file that no longer exists, and says when there is nothing to do', async () => {
    const file = join(dir, 'gone', 'credentials');
    const info = await seedBackup(file, ORIGINAL);
    expect((await run(['restore', info.id], { yes: true })).stdout).toBe(
      `Restored ${file} from backup ${info.id}.\n`,
    );
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
    expect((await run(['restore', info.id], { yes: true })).stdout).toContain('already matches');
  });

  it('rejects unknown actions, missing and unknown ids', async () => {
    for (const [args, code] of [
      [['prune'], 'USAGE'],
      [['show'], 'USAGE'],
      [['show', 'nope'], 'BACKUP_NOT_FOUND'],
      [['restore', 'nope'], 'BACKUP_NOT_FOUND'],
    ] as const) {
      const error = await run([...args]).catch((e: unknown) => e);
      expect(isKeyrotError(error, code)).toBe(true);
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
