import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHomeDir, loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsHomeDir, resolveAwsFilePaths } from '../../src/credentials/paths.js';

const VARS = [
  'HOME',
  'USERPROFILE',
  'HOMEDRIVE',
  'HOMEPATH',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
];
const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
let dir: string;

function setEnv(values: Record<string, string | undefined>): void {
  for (const name of VARS) {
    if (values[name] === undefined) delete process.env[name];
    else process.env[name] = values[name];
  }
}

// Writes a marker profile at the paths keyrot resolves, then asks the SDK (reading the same process.env) for it.
async function sdkFindsOurPaths(env: Record<string, string | undefined>): Promise<void> {
  setEnv(env);
  const paths = resolveAwsFilePaths(process.env);
  await mkdir(join(paths.credentialsFile, '..'), { recursive: true });
  await mkdir(join(paths.configFile, '..'), { recursive: true });
  await writeFile(paths.credentialsFile, '[marker]\nfrom = credentials\n');
  await writeFile(paths.configFile, '[profile marker]\nfrom = config\n');
  const files = await loadSharedConfigFiles({ ignoreCache: true });
  expect(files.credentialsFile.marker).toEqual({ from: 'credentials' });
  expect(files.configFile.marker).toEqual({ from: 'config' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyrot-paths-'));
});
afterEach(() => setEnv(saved));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveAwsFilePaths agrees with the SDK', () => {
  it('uses HOME first', async () => {
    await sdkFindsOurPaths({ HOME: join(dir, 'h1'), USERPROFILE: join(dir, 'nope') });
  });
  it('falls back to USERPROFILE when HOME is unset or empty', async () => {
    await sdkFindsOurPaths({ HOME: '', USERPROFILE: join(dir, 'h2') });
  });
  it('then HOMEDRIVE + HOMEPATH', async () => {
    await sdkFindsOurPaths({ HOMEDRIVE: dir, HOMEPATH: '/h3' });
  });
  it('honours AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, expanding ~/', async () => {
    await sdkFindsOurPaths({
      HOME: join(dir, 'h4'),
      AWS_SHARED_CREDENTIALS_FILE: '~/elsewhere/creds',
      AWS_CONFIG_FILE: join(dir, 'abs-config'),
    });
    expect(resolveAwsFilePaths({ HOME: '/home/u', AWS_SHARED_CREDENTIALS_FILE: '~/c' }).credentialsFile).toBe(
      '/home/u/c',
    );
  });
  it('treats empty file variables as unset, like the SDK', async () => {
    await sdkFindsOurPaths({ HOME: join(dir, 'h5'), AWS_SHARED_CREDENTIALS_FILE: '', AWS_CONFIG_FILE: '' });
  });
  it('lets explicit overrides win and expands ~/ in them', () => {
    const env = { HOME: '/home/u', AWS_SHARED_CREDENTIALS_FILE: '/env/creds' };
    expect(resolveAwsFilePaths(env, { credentialsFile: '~/x', configFile: '/y' })).toEqual({
      credentialsFile: '/home/u/x',
      configFile: '/y',
    });
  });
  it('computes the same home as the SDK, including the C: default drive and the OS fallback', () => {
    for (const env of [{ HOMEPATH: '\\Users\\u' }, { HOMEDRIVE: 'D:', HOMEPATH: '\\u' }, {}]) {
      setEnv(env);
      expect(awsHomeDir(process.env)).toBe(getHomeDir());
    }
  });
});
