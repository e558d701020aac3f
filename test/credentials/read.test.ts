import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { beforeEach, describe, expect, it } from 'vitest';
import { mergedProfileValues, readSharedFiles } from '../../src/credentials/read.js';
import { tempDir } from '../support/cleanup.js';
import { asObject } from './support/sdk-oracle.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('read');
});

describe('readSharedFiles', () => {
  it('reads both files exactly as loadSharedConfigFiles, and merges like the SDK (credentials win)', async () => {
    const credentialsFile = join(dir, 'credentials');
    const configFile = join(dir, 'config');
    await writeFile(
      credentialsFile,
      '[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\nregion = from-credentials\n',
    );
    await writeFile(
      configFile,
      '[profile dev]\nregion = from-config\noutput = json\n[sso-session corp]\nsso_region = x\n',
    );
    const reading = await readSharedFiles({ credentialsFile, configFile });
    const sdk = await loadSharedConfigFiles({
      filepath: credentialsFile,
      configFilepath: configFile,
      ignoreCache: true,
    });
    expect(asObject(reading.credentials)).toEqual(sdk.credentialsFile);
    expect(asObject(reading.config)).toEqual(sdk.configFile);
    expect(reading.missing).toEqual({ credentials: false, config: false });
    expect(mergedProfileValues(reading, 'dev')).toEqual({
      aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
      region: 'from-credentials',
      output: 'json',
    });
    expect(mergedProfileValues(reading, 'nope')).toBeUndefined();
  });

  it('reads missing files as empty (as the SDK) but refuses to be silent about an unreadable one', async () => {
    const reading = await readSharedFiles({
      credentialsFile: join(dir, 'none'),
      configFile: join(dir, 'none2'),
    });
    expect(reading).toEqual({
      credentials: new Map(),
      config: new Map(),
      missing: { credentials: true, config: true },
    });
    await mkdir(join(dir, 'a-directory'));
    await expect(
      readSharedFiles({ credentialsFile: join(dir, 'a-directory'), configFile: join(dir, 'none') }),
    ).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
      message: expect.stringContaining('it is a directory'),
    });
  });
});
