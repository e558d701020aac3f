import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, win32 } from 'node:path';
import { getHomeDir, loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  awsCliMismatch,
  awsCliMismatchWarning,
  awsHomeDir,
  resolveAwsFilePaths,
} from '../../src/credentials/paths.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

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
  dir = await tempDir('paths');
});
afterEach(() => setEnv(saved));

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

// The AWS CLI is Python: on Windows botocore finds its files with os.path.expanduser, which is
// ntpath.expanduser (USERPROFILE, then HOMEDRIVE+HOMEPATH; HOME ignored since Python 3.8). Python's own
// ntpath runs anywhere, so it answers here which file the AWS CLI reads.
const python = describeWith('python3');
python('Windows: the files keyrot uses and the ones the AWS CLI reads', () => {
  /** What the AWS CLI on Windows reads, per Python's ntpath, for `env`. */
  function awsCliReads(env: Record<string, string>): { credentialsFile: string; configFile: string } {
    const script = [
      'import json, ntpath, os',
      'e = os.environ',
      'print(json.dumps({',
      '  "credentialsFile": ntpath.expanduser(e.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")),',
      '  "configFile": ntpath.expanduser(e.get("AWS_CONFIG_FILE", "~/.aws/config")),',
      '}))',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script], { env, encoding: 'utf8' });
    return JSON.parse(result.stdout);
  }
  const same = (a: string, b: string) =>
    win32.normalize(a).toLowerCase() === win32.normalize(b).toLowerCase();

  it.each([
    [
      'HOME from Git Bash beside USERPROFILE',
      { HOME: 'C:\\Users\\ann\\gitbash', USERPROFILE: 'C:\\Users\\ann' },
      true,
    ],
    ['HOME on a home drive', { HOME: 'H:\\', USERPROFILE: 'C:\\Users\\ann' }, true],
    [
      'HOME equal to USERPROFILE (another case)',
      { HOME: 'c:\\users\\ANN', USERPROFILE: 'C:\\Users\\ann' },
      false,
    ],
    ['no HOME', { USERPROFILE: 'C:\\Users\\ann' }, false],
    [
      'HOME set, but both files named by absolute paths',
      {
        HOME: 'H:\\',
        USERPROFILE: 'C:\\Users\\ann',
        AWS_SHARED_CREDENTIALS_FILE: 'D:\\aws\\credentials',
        AWS_CONFIG_FILE: 'D:\\aws\\config',
      },
      false,
    ],
    [
      'HOME set and a ~/ file variable (each program expands ~ its own way)',
      { HOME: 'H:\\', USERPROFILE: 'C:\\Users\\ann', AWS_SHARED_CREDENTIALS_FILE: '~/aws/credentials' },
      true,
    ],
  ])('%s', (_name, env: Record<string, string>, differs) => {
    const cli = awsCliReads(env);
    const mismatch = awsCliMismatch(env, {}, 'win32', () => 'C:\\Users\\os-home');
    expect(mismatch !== null).toBe(differs);
    const keyrot = resolveAwsFilePaths(env, {}, () => 'C:\\Users\\os-home');
    // keyrot warns exactly when the AWS CLI (by Python's own rules) reads another file than keyrot uses.
    expect(
      !same(keyrot.credentialsFile, cli.credentialsFile) || !same(keyrot.configFile, cli.configFile),
    ).toBe(differs);
    if (mismatch) {
      expect(same(mismatch.awsCli.credentialsFile, cli.credentialsFile)).toBe(true);
      expect(same(mismatch.awsCli.configFile, cli.configFile)).toBe(true);
      const warning = awsCliMismatchWarning(mismatch);
      expect(warning.text).toContain('the AWS CLI on Windows ignores HOME');
      expect(warning.fix).toContain('AWS_SHARED_CREDENTIALS_FILE');
    }
  });

  it('says nothing on Linux and macOS, where both follow HOME', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      expect(awsCliMismatch({ HOME: '/home/ann', USERPROFILE: 'C:\\Users\\ann' }, {}, platform)).toBeNull();
    }
  });
});
