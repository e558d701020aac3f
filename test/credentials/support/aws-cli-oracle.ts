import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsCliAnswer } from '../../../src/credentials/aws-cli-reader.js';

/** Debian's AWS CLI v2 (another `aws`, v1, may come first on PATH). */
export const AWS_CLI = '/usr/bin/aws';

/** One question for the AWS CLI: both files' bytes, and `configure get --profile profile key`. */
export interface AwsCliQuestion {
  credentials: Uint8Array;
  config: Uint8Array;
  profile: string;
  key: string;
}

/** What `aws configure get` did: exit code and output. */
export interface AwsCliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let counter = 0;

/** Runs `/usr/bin/aws configure get` on the question's files (written into a fresh folder under `dir`). */
export async function askAwsCli(dir: string, question: AwsCliQuestion): Promise<AwsCliRun> {
  const home = join(dir, `q${counter++}`);
  await mkdir(home);
  const credentials = join(home, 'credentials');
  const config = join(home, 'config');
  await writeFile(credentials, question.credentials, { mode: 0o600 });
  await writeFile(config, question.config, { mode: 0o600 });
  const env = awsCliEnv(home, credentials, config);
  return new Promise((resolve, reject) => {
    execFile(
      AWS_CLI,
      ['configure', 'get', '--profile', question.profile, question.key],
      { env, timeout: 120_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (code === null) reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The AWS CLI's environment for files in `home`: nothing of this machine's, no instance metadata, no network. */
export function awsCliEnv(home: string, credentials: string, config: string): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C.UTF-8',
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: config,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    // A request that would leave the machine goes nowhere.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
  };
}

/** A run as compared: exit code, stdout, and stderr reduced to what it says (raw when it says something else). */
export interface RunOutcome {
  code: number;
  stdout: string;
  says: string;
}

/** What the model's answer predicts `aws configure get` does. */
export function expectedOutcome(answer: AwsCliAnswer): RunOutcome {
  switch (answer.kind) {
    case 'value':
      return { code: 0, stdout: `${answer.value}\n`, says: '' };
    case 'sub-section':
      return { code: 1, stdout: '', says: 'must reference a value' };
    case 'no-value':
      return { code: 1, stdout: '', says: '' };
    case 'no-profile':
      return { code: 255, stdout: '', says: 'profile not found' };
    case 'unreadable':
      return { code: 255, stdout: '', says: `cannot parse ${answer.file}` };
  }
}

/** What `aws configure get` did, in the shape of expectedOutcome. */
export function observedOutcome(run: AwsCliRun): RunOutcome {
  const stderr = run.stderr.trim();
  const unparsable = /^Unable to parse config file: .*\/(credentials|config)$/.exec(stderr);
  const says = unparsable
    ? `cannot parse ${unparsable[1]}`
    : /^The config profile \(.*\) could not be found$/s.test(stderr)
      ? 'profile not found'
      : stderr.includes('must reference a value')
        ? 'must reference a value'
        : stderr;
  return { code: run.code, stdout: run.stdout, says };
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(runners);
  return results;
}
