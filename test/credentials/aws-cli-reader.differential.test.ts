// The AWS CLI reader model (src/credentials/aws-cli-reader.ts) against the real reader: Debian's AWS CLI v2,
// `/usr/bin/aws configure get --profile P KEY`, over the disagreements found, the fixture files and generated
// file pairs. Each call costs about half a second, so each file pair is asked one question, chosen where
// the AWS CLI and the SDK disagree when they do, and the calls run two at a time.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { awsCliConfigureGet, awsCliProfiles, readAsAwsCli } from '../../src/credentials/aws-cli-reader.js';
import { parseSharedFile } from '../../src/credentials/document.js';
import { mergedProfileValues } from '../../src/credentials/read.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { awsCliFileBytes } from './support/aws-cli-generators.js';
import {
  type AwsCliQuestion,
  askAwsCli,
  expectedOutcome,
  mapLimited,
  observedOutcome,
} from './support/aws-cli-oracle.js';
import { READER_CASES } from './support/reader-cases.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'shared-files');
let dir: string;

beforeAll(async () => {
  dir = await tempDir('awscli-reader');
});

// Names `aws configure get` can be asked about: a key with a dot is read as a path, a leading `-` as a flag.
const askable = (name: string) => name !== '' && !name.startsWith('-') && !/[\r\n]/.test(name);
const askableKey = (key: string) => /^[A-Za-z0-9_]+$/.test(key);

/**
 * The question for a file pair: among every (profile, key) either reader sees (and one profile neither has),
 * one where the AWS CLI's value differs from the SDK's when `pick` is even and there is one, else any.
 */
function questionFor(credentials: Uint8Array, config: Uint8Array, pick: number): AwsCliQuestion {
  const cli = { credentials: readAsAwsCli(credentials), config: readAsAwsCli(config) };
  const sdk = {
    credentials: parseSharedFile(Buffer.from(credentials).toString('utf8'), 'credentials').profiles(),
    config: parseSharedFile(Buffer.from(config).toString('utf8'), 'config').profiles(),
  };
  const candidates: { profile: string; key: string }[] = [{ profile: 'nobody-has-this', key: 'region' }];
  const add = (profile: string, keys: Iterable<string>) => {
    if (!askable(profile)) return;
    for (const key of keys) if (askableKey(key)) candidates.push({ profile, key });
    candidates.push({ profile, key: 'aws_access_key_id' });
  };
  for (const reading of [sdk.credentials, sdk.config])
    for (const [profile, values] of reading) add(profile, Object.keys(values));
  for (const [reading, kind] of [
    [cli.credentials, 'credentials'],
    [cli.config, 'config'],
  ] as const) {
    for (const [profile, { section }] of awsCliProfiles(reading, kind)) add(profile, section.options.keys());
  }
  const differing = candidates.filter(({ profile, key }) => {
    const answer = awsCliConfigureGet(cli.config, cli.credentials, profile, key);
    const value = mergedProfileValues(sdk, profile)?.[key];
    return answer.kind === 'value' ? answer.value !== value : value !== undefined;
  });
  const pool = pick % 2 === 0 && differing.length > 0 ? differing : candidates;
  const chosen = pool[Math.floor(pick / 2) % pool.length] as { profile: string; key: string };
  return { credentials, config, ...chosen };
}

// Asks the AWS CLI every question (two at a time) and expects, for each, what the model predicts.
async function expectAwsCliAnswersAsModelled(questions: AwsCliQuestion[]): Promise<void> {
  const runs = await mapLimited(questions, 2, (question) => askAwsCli(dir, question));
  questions.forEach((question, index) => {
    const model = awsCliConfigureGet(
      readAsAwsCli(question.config),
      readAsAwsCli(question.credentials),
      question.profile,
      question.key,
    );
    const shown = JSON.stringify({
      credentials: Buffer.from(question.credentials).toString('latin1'),
      config: Buffer.from(question.config).toString('latin1'),
      profile: question.profile,
      key: question.key,
    });
    expect(observedOutcome(runs[index] as never), shown).toEqual(expectedOutcome(model));
  });
}

describeWith('awsCli')('the AWS CLI reader model answers as /usr/bin/aws configure get', () => {
  it(`on each of the ${READER_CASES.length} disagreements found`, async () => {
    await expectAwsCliAnswersAsModelled(
      READER_CASES.map((c) => ({
        credentials: Buffer.from(c.credentials),
        config: Buffer.from(c.config),
        profile: c.profile,
        key: c.key,
      })),
    );
  }, 600_000);

  it('on every fixture file (as both files at once), one question each', async () => {
    const names = (await readdir(FIXTURES)).sort();
    expect(names.length).toBeGreaterThan(30);
    const questions = await Promise.all(
      names.map(async (name, index) => {
        const bytes = await readFile(join(FIXTURES, name));
        return questionFor(bytes, bytes, index);
      }),
    );
    await expectAwsCliAnswersAsModelled(questions);
  }, 600_000);

  // Found by the generated pairs below: configparser parses a [DEFAULT] value only as part of a section
  // that inherits it, so a nested value the AWS CLI cannot parse fails the file only where it is inherited.
  it('parses a [DEFAULT] value only where a section inherits it', async () => {
    // An indented line under an empty value makes it a nested value, which fails without `=`.
    const nestedDefault = '[DEFAULT]\nregion =\n  us-east-1\n';
    const questions = [
      `${nestedDefault}[profile a]\nregion = x\n`,
      `${nestedDefault}[profile a]\noutput = json\n`,
    ].map((config) => ({
      credentials: Buffer.from(''),
      config: Buffer.from(config),
      profile: 'a',
      key: 'region',
    }));
    expect(
      questions.map((q) =>
        awsCliConfigureGet(readAsAwsCli(q.config), readAsAwsCli(q.credentials), q.profile, q.key),
      ),
    ).toEqual([
      { kind: 'value', value: 'x' },
      { kind: 'unreadable', file: 'config' },
    ]);
    await expectAwsCliAnswersAsModelled(questions);
  }, 600_000);

  it('on 40 generated file pairs (5 runs of 8), one question each', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(awsCliFileBytes, awsCliFileBytes, fc.nat()), { minLength: 8, maxLength: 8 }),
        async (pairs) => {
          await expectAwsCliAnswersAsModelled(
            pairs.map(([credentials, config, pick]) => questionFor(credentials, config, pick)),
          );
        },
      ),
      // No shrinking: each step would cost eight more AWS CLI calls; the failure shows the files.
      { numRuns: 5, endOnFailure: true },
    );
  }, 600_000);
});
