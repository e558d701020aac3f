// Debian's AWS CLI v2 (/usr/bin/aws) as an independent program on the same files: it edits other profiles
// with `aws configure set` (which re-reads the file, then truncates and rewrites it in place, taking no lock)
// while keyrot rewrites one profile; and it reads back with `aws configure get` what keyrot wrote.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { beforeAll, expect, it } from 'vitest';
import { setProfileKey } from '../../src/credentials/edit.js';
import { type FsPort, realFs } from '../../src/fs/fs-port.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const AWS = '/usr/bin/aws';
const run = promisify(execFile);
let dir: string;
let env: NodeJS.ProcessEnv;
let credentials: string;
let config: string;

const aws = async (...args: string[]) => (await run(AWS, args, { env, timeout: 60_000 })).stdout.trim();
const digits = (n: number) => String(n).padStart(16, '0');
const key = (n: number) => ({
  accessKeyId: `AKIA${digits(n)}`,
  secretAccessKey: `keyrotSecret${digits(n)}${'k'.repeat(12)}`,
});

const describeCli = describeWith('awsCli');

describeCli('AWS CLI v2 alongside keyrot', () => {
  beforeAll(async () => {
    dir = await tempDir('awscli');
    credentials = join(dir, 'credentials');
    config = join(dir, 'config');
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: config,
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });

  it('reads back with `aws configure get` what keyrot wrote, in both files', async () => {
    await writeFile(
      credentials,
      `# mine\n[default]\naws_access_key_id = AKIA${digits(1)}\naws_secret_access_key = old\n`,
      { mode: 0o600 },
    );
    await writeFile(
      config,
      `[default]\nregion = eu-west-1\n\n[profile cfg]\naws_access_key_id = AKIA${digits(2)}\naws_secret_access_key = old\n`,
    );
    await setProfileKey({ file: credentials, profile: 'default', ...key(10) });
    await setProfileKey({ file: config, kind: 'config', profile: 'cfg', ...key(11) });
    await setProfileKey({ file: credentials, profile: 'fresh', ...key(12), create: true });
    expect(await aws('configure', 'get', 'aws_access_key_id')).toBe(key(10).accessKeyId);
    expect(await aws('configure', 'get', 'aws_secret_access_key')).toBe(key(10).secretAccessKey);
    expect(await aws('configure', 'get', 'region')).toBe('eu-west-1');
    expect(await aws('configure', 'get', 'aws_access_key_id', '--profile', 'cfg')).toBe(key(11).accessKeyId);
    expect(await aws('configure', 'get', 'aws_secret_access_key', '--profile', 'fresh')).toBe(
      key(12).secretAccessKey,
    );
  });

  it('never loses an `aws configure set` edit made while keyrot rewrites another profile', async () => {
    await writeFile(
      credentials,
      `# shared by keyrot and the AWS CLI\n[rot]\naws_access_key_id = AKIA${digits(0)}\naws_secret_access_key = s0\n`,
      {
        mode: 0o600,
      },
    );
    // The CLI edits run one after another (two concurrent `configure set` calls lose each other's edits on
    // their own, with no keyrot involved), in parallel with keyrot's loop over the same file.
    const cliEdits = Array.from({ length: 8 }, (_, i) => ({
      profile: `cli-${i % 4}`,
      name: i < 4 ? 'aws_access_key_id' : 'aws_secret_access_key',
      value: i < 4 ? `AKIACLI${digits(i).slice(3)}` : `cliSecret${i}`,
    }));
    let cliDone = false;
    const cli = (async () => {
      for (const edit of cliEdits)
        await aws('configure', 'set', edit.name, edit.value, '--profile', edit.profile);
      cliDone = true;
    })();
    // Counts what keyrot's compare-and-swap did: a temp file unlinked is a swap refused because the CLI
    // changed the file in between; more renames than writes means a pass re-applied the edit.
    const counts = { unlink: 0, rename: 0 };
    const fs: FsPort = {
      ...realFs,
      unlink: (path) => {
        counts.unlink += 1;
        return realFs.unlink(path);
      },
      rename: (from, to) => {
        counts.rename += 1;
        return realFs.rename(from, to);
      },
    };
    let writes = 0;
    while (!cliDone) {
      writes += 1;
      await setProfileKey({ file: credentials, profile: 'rot', ...key(writes) }, { fs });
    }
    await cli;
    // keyrot's own edits can be undone by the CLI (it rewrites the file from what it read before keyrot's
    // rename); keyrot's last write, made after the CLI finished, must stand.
    const last = key(writes + 1);
    await setProfileKey({ file: credentials, profile: 'rot', ...last });
    const { credentialsFile } = await loadSharedConfigFiles({
      filepath: credentials,
      configFilepath: config,
      ignoreCache: true,
    });
    for (const edit of cliEdits)
      expect(credentialsFile[edit.profile]?.[edit.name], `${edit.profile}.${edit.name}`).toBe(edit.value);
    expect(credentialsFile.rot).toEqual({
      aws_access_key_id: last.accessKeyId,
      aws_secret_access_key: last.secretAccessKey,
    });
    expect((await readFile(credentials, 'utf8')).startsWith('# shared by keyrot and the AWS CLI\n')).toBe(
      true,
    );
    expect(writes).toBeGreaterThan(20); // keyrot really wrote throughout the CLI's edits
    process.stderr.write(
      `[aws-cli] ${writes} keyrot edits during ${cliEdits.length} aws configure set calls: ${counts.rename} renames, ` +
        `${counts.unlink} swaps refused and re-applied (temp files removed)\n`,
    );
  }, 180_000);
});
