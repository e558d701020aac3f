import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { writableByOthers } from '../../src/fs/writable-by-others.js';
import { tempDir } from '../support/cleanup.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('writable');
});

it('lists the file and the directories above it that others may write, along a symlink and its target', async () => {
  const target = join(dir, 'real', 'credentials');
  const link = join(dir, 'links', 'credentials');
  await mkdir(join(dir, 'real'), { mode: 0o700 });
  await mkdir(join(dir, 'links'), { mode: 0o700 });
  await writeFile(target, 'x', { mode: 0o600 });
  await symlink(target, link);
  expect(await writableByOthers(link)).toEqual([]);

  await chmod(join(dir, 'links'), 0o770);
  await chmod(join(dir, 'real'), 0o757);
  await chmod(target, 0o620);
  expect(await writableByOthers(link)).toEqual([
    // The file once, under the name it was asked by; both directories.
    { path: link, mode: 0o620, directory: false },
    { path: join(dir, 'links'), mode: 0o770, directory: true },
    { path: join(dir, 'real'), mode: 0o757, directory: true },
  ]);
  // A sticky directory is fine: others cannot replace what is yours in it.
  await chmod(join(dir, 'real'), 0o1777);
  expect((await writableByOthers(target)).map((e) => e.path)).toEqual([target]);
  expect(await writableByOthers(join(dir, 'missing', 'file'))).toEqual([]);
});
