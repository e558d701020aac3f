// The AWS CLI reader model's `[sso-session NAME]` sections (awsCliNamedSections) against the real reader,
// Debian's AWS CLI v2 (/usr/bin/aws 2.9.19). `aws configure get` cannot read these sections (its dotted
// names reach only profiles and [plugins]), so the question goes through the CLI's SSO credential provider
// (support/sso-session-oracle.ts): it prints a session's key, as it read it, when a probe profile sets
// that key to another value. That CLI ignores `[services NAME]` sections altogether (it predates them):
// of those only what makes the whole file unreadable is observable, and checked.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { awsCliNamedSections, readAsAwsCli } from '../../src/credentials/aws-cli-reader.js';
import { parseSharedFile } from '../../src/credentials/document.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { awsCliFileBytes } from './support/aws-cli-generators.js';
import { mapLimited } from './support/aws-cli-oracle.js';
import { SESSION_CASES } from './support/sso-session-cases.js';
import {
  askableSession,
  askSession,
  expectedSessionOutcome,
  type SessionQuestion,
} from './support/sso-session-oracle.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'shared-files');
let dir: string;

beforeAll(async () => {
  dir = await tempDir('awscli-sso-session');
});

/**
 * The question for a config file: among every (session, key) either reader sees (and a session neither
 * has), one where the AWS CLI's value differs from the SDK's when `pick` is even and there is one, else any.
 */
function questionFor(config: Uint8Array, pick: number): SessionQuestion {
  const cli = awsCliNamedSections(readAsAwsCli(config), 'sso-session');
  const sdk = parseSharedFile(Buffer.from(config).toString('utf8'), 'config').profiles();
  const candidates: { session: string; key: string }[] = [{ session: 'nobody-has-this', key: 'sso_region' }];
  const add = (session: string, keys: Iterable<string>) => {
    for (const key of [...keys, 'sso_region'])
      if (askableSession(session, key)) candidates.push({ session, key });
  };
  for (const [name, values] of sdk)
    if (name.startsWith('sso-session.')) add(name.slice('sso-session.'.length), Object.keys(values));
  for (const [session, { section }] of cli) add(session, section.options.keys());
  const differing = candidates.filter(({ session, key }) => {
    const cliValue = cli.get(session)?.section.options.get(key.toLowerCase())?.value;
    return cliValue !== sdk.get(`sso-session.${session}`)?.[key];
  });
  const pool = pick % 2 === 0 && differing.length > 0 ? differing : candidates;
  const chosen = pool[Math.floor(pick / 2) % pool.length] as { session: string; key: string };
  return { config, ...chosen };
}

// Asks the AWS CLI every question (two at a time) and expects, for each, what the model predicts.
async function expectAwsCliReadsSessionsAsModelled(questions: SessionQuestion[]): Promise<void> {
  const observed = await mapLimited(questions, 2, (question) => askSession(dir, question));
  questions.forEach((question, index) => {
    const shown = JSON.stringify({
      config: Buffer.from(question.config).toString('latin1'),
      session: question.session,
      key: question.key,
    });
    expect(observed[index], shown).toEqual(expectedSessionOutcome(question));
  });
}

describeWith('awsCli')('the AWS CLI reader model reads [sso-session] sections as /usr/bin/aws does', () => {
  it(`on each of the ${SESSION_CASES.length} disagreements found`, async () => {
    const questions = SESSION_CASES.map((c) => ({
      config: Buffer.from(c.config),
      session: c.session,
      key: c.key,
    }));
    await expectAwsCliReadsSessionsAsModelled(questions);
    // And the model is right about them, not only consistent: the CLI said what each case records.
    const observed = await mapLimited(questions, 2, (question) => askSession(dir, question));
    expect(observed).toEqual(SESSION_CASES.map((c) => c.awsCli));
  }, 600_000);

  it('on every fixture file with an sso-session section, one question each', async () => {
    const names = (await readdir(FIXTURES)).sort();
    const files = await Promise.all(names.map((name) => readFile(join(FIXTURES, name))));
    const withSessions = files.filter((bytes) => bytes.includes('sso-session'));
    await expectAwsCliReadsSessionsAsModelled(withSessions.map((bytes, index) => questionFor(bytes, index)));
  }, 600_000);

  it('on 40 generated config files with sso-session sections (5 runs of 8), one question each', async () => {
    const withSession = awsCliFileBytes.chain((bytes) =>
      fc
        .constantFrom(
          '[sso-session N]',
          '[sso-session  N]',
          '[sso-session "N"]',
          '[sso-sessions N]',
          '[ sso-session N ]',
        )
        .map((form) =>
          Buffer.concat([
            bytes,
            Buffer.from(
              `\n${form.replace('N', 'corp')}\nsso_region = eu-west-1 # c\nSSO_start_url: https://x\n`,
            ),
          ]),
        ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(withSession, fc.nat()), { minLength: 8, maxLength: 8 }),
        async (files) => {
          await expectAwsCliReadsSessionsAsModelled(files.map(([config, pick]) => questionFor(config, pick)));
        },
      ),
      // No shrinking: each step would cost eight more AWS CLI calls; the failure shows the files.
      { numRuns: 5, endOnFailure: true },
    );
  }, 600_000);
});
