import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  awsCliConfigureGet,
  awsCliNamedSections,
  awsCliProfiles,
  readAsAwsCli,
} from '../../src/credentials/aws-cli-reader.js';
import { parseSharedFile } from '../../src/credentials/document.js';
import type { FileKind } from '../../src/credentials/grammar.js';
import { mergedProfileValues } from '../../src/credentials/read.js';
import { readerDifferences } from '../../src/credentials/reader-differences.js';
import { awsCliFileBytes } from './support/aws-cli-generators.js';
import { READER_CASES } from './support/reader-cases.js';
import { SESSION_CASES } from './support/sso-session-cases.js';
import { expectedSessionOutcome } from './support/sso-session-oracle.js';

const bytesOf = (text: string | Buffer) => (typeof text === 'string' ? Buffer.from(text) : text);
const sdkReading = (bytes: Buffer, kind: FileKind) =>
  parseSharedFile(bytes.toString('utf8'), kind).profiles();

describe('each disagreement found with /usr/bin/aws is modelled and reported', () => {
  for (const c of READER_CASES) {
    it(c.what, () => {
      const credentials = bytesOf(c.credentials);
      const config = bytesOf(c.config);
      expect(awsCliConfigureGet(readAsAwsCli(config), readAsAwsCli(credentials), c.profile, c.key)).toEqual(
        c.awsCli,
      );
      const sdk = mergedProfileValues(
        { credentials: sdkReading(credentials, 'credentials'), config: sdkReading(config, 'config') },
        c.profile,
      );
      expect(sdk?.[c.key]).toBe(c.sdk);
      const file = c.reported.file;
      const found = readerDifferences(
        file === 'credentials' ? credentials : config,
        file,
        `/home/u/.aws/${file}`,
      );
      expect(found).toContainEqual(
        expect.objectContaining({
          file: `/home/u/.aws/${file}`,
          line: c.reported.line,
          effect: c.reported.effect,
        }),
      );
      for (const place of found) expect(place.fix).not.toBe('');
    });
  }

  for (const c of SESSION_CASES) {
    it(`[sso-session]: ${c.what}`, () => {
      const config = Buffer.from(c.config);
      expect(expectedSessionOutcome({ config, session: c.session, key: c.key })).toEqual(c.awsCli);
      expect(sdkReading(config, 'config').get(`sso-session.${c.session}`)?.[c.key]).toBe(c.sdk);
      const found = readerDifferences(config, 'config', '/home/u/.aws/config');
      expect(found).toContainEqual(expect.objectContaining(c.reported));
      for (const place of found) expect(place.fix).not.toBe('');
    });
  }

  it('names an sso-session or services section as such, and reads alike what both read alike', () => {
    const config =
      '[sso-session corp]\nsso_region = eu-west-1 # Dublin\n[services mine]\nsts =\n  endpoint_url = http://localhost:4566\n[sso-session "ok"]\nsso_region = eu-west-1\n';
    const found = readerDifferences(Buffer.from(config), 'config', 'k');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 2, profiles: ['sso-session.corp'], keys: ['sso_region'] });
    const header = readerDifferences(
      Buffer.from('[services  mine]\nsts =\n  endpoint_url = http://x\n'),
      'config',
      'k',
    );
    expect(header).toMatchObject([{ line: 1, effect: 'aws-cli-only', profiles: ['services.mine'] }]);
    expect(header[0]?.problem).toContain('[services mine]');
    expect(header[0]?.fix).toContain('[services NAME], one space after "services"');
  });

  it('never quotes a value in what it reports', () => {
    const text =
      '[a]\naws_access_key_id = AKIASECRETISH000001 # work\naws_secret_access_key = s3cr3t/Value ; x\n';
    const found = readerDifferences(Buffer.from(text), 'credentials', 'f');
    expect(found).toHaveLength(2);
    for (const place of found) expect(`${place.problem} ${place.fix}`).not.toMatch(/AKIASECRETISH|s3cr3t/);
  });

  it('reports nothing for files both read alike (CRLF, comments, sub-sections, [profile x])', () => {
    const credentials =
      '# keys\r\n[default]\r\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\r\n\r\n[dev]\r\nregion=eu-west-1\r\n';
    const config =
      '[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 10\n; note\n[profile dev]\noutput = json\n';
    expect(readerDifferences(Buffer.from(credentials), 'credentials', 'c')).toEqual([]);
    expect(readerDifferences(Buffer.from(config), 'config', 'k')).toEqual([]);
  });
});

// Whatever is not reported must read alike: with no difference reported in either file, every profile
// and key reads the same in both readers' merged views.
describe('a file pair with nothing reported reads alike in both readers', () => {
  it('on 1,500 generated pairs', () => {
    fc.assert(
      fc.property(awsCliFileBytes, awsCliFileBytes, (credentials, config) => {
        const reported = [
          ...readerDifferences(credentials, 'credentials', 'c'),
          ...readerDifferences(config, 'config', 'k'),
        ];
        for (const place of reported) expect(place.line).toBeGreaterThan(0);
        const cli = { credentials: readAsAwsCli(credentials), config: readAsAwsCli(config) };
        if (!cli.credentials.ok || !cli.config.ok) {
          expect(reported.map((place) => place.effect)).toContain('aws-cli-fails');
          return;
        }
        if (reported.length > 0) return;
        const sdk = {
          credentials: sdkReading(credentials, 'credentials'),
          config: sdkReading(config, 'config'),
        };
        const profiles = new Set([
          ...awsCliProfiles(cli.credentials, 'credentials').keys(),
          ...awsCliProfiles(cli.config, 'config').keys(),
          ...sdk.credentials.keys(),
          ...[...sdk.config.keys()].filter((name) => !/^(sso-session|services)\./.test(name)),
        ]);
        for (const profile of profiles) {
          const fromCli = new Map([
            ...(awsCliProfiles(cli.config, 'config').get(profile)?.values ?? []),
            ...(awsCliProfiles(cli.credentials, 'credentials').get(profile)?.values ?? []),
          ]);
          const fromSdk = mergedProfileValues(sdk, profile) ?? {};
          const cliValues = Object.fromEntries([...fromCli].map(([key, { value }]) => [key, value]));
          if (fromCli.size > 0 || Object.keys(fromSdk).length > 0) expect(cliValues).toEqual({ ...fromSdk });
        }
        // The config file's sso-session and services sections too, each by itself.
        for (const kind of ['sso-session', 'services'] as const) {
          const cliSections = awsCliNamedSections(cli.config, kind);
          const sdkNames = [...sdk.config.keys()].filter((name) => name.startsWith(`${kind}.`));
          for (const name of new Set([
            ...cliSections.keys(),
            ...sdkNames.map((n) => n.slice(kind.length + 1)),
          ])) {
            const fromCli = cliSections.get(name)?.values ?? new Map();
            const cliValues = Object.fromEntries([...fromCli].map(([key, { value }]) => [key, value]));
            expect(cliValues, `${kind} ${name}`).toEqual({ ...sdk.config.get(`${kind}.${name}`) });
          }
        }
      }),
      { numRuns: 1_500 },
    );
  });
});

describe('the fix names the cause', () => {
  const causeOf = (text: string, kind: FileKind = 'credentials') =>
    readerDifferences(Buffer.from(text), kind, 'f').map((place) => `${place.line} ${place.fix}`);

  it('CR line endings, odd white space, [DEFAULT], an indented header, text after a header', () => {
    expect(causeOf('[a]\rregion = x\r')).toEqual(['1 save the file with LF or CRLF line endings']);
    expect(causeOf('[a]\nregion = x\x1c\n')).toEqual(['2 remove that character']);
    expect(causeOf('[DEFAULT]\nregion = x\n[a]\noutput = json\n')).toEqual([
      '1 remove the [DEFAULT] section, or move its keys into the profiles that need them',
      '2 move these keys into the profiles that need them and remove the [DEFAULT] section',
    ]);
    expect(causeOf('[z]\nregion = z\n  [a]\noutput = json\n')[0]).toBe(
      '3 remove the indentation of this line',
    );
    expect(causeOf('[z]\nregion = z\n[a] work\noutput = json\n')).toEqual([
      '3 remove the text after ] (or make it a comment: ] # ...)',
      '4 check the section headers above this line: each alone on its line, not indented, nothing after ]',
    ]);
    expect(causeOf('[profile a]\nregion = x\n')).toEqual([
      '1 write the header as [NAME], the name of letters, digits and - _ . @ + % : /',
      '1 write the header as [NAME], the name of letters, digits and - _ . @ + % : /',
    ]);
    expect(readerDifferences(Buffer.from('[profile.a]\nregion = x\n'), 'config', 'f')[0]?.problem).toBe(
      'the SDK (and keyrot) read profile a, the AWS CLI does not: the SDK reads this header as the profile, the AWS CLI does not',
    );
    expect(causeOf('[profile default]\nregion = p\n[default]\nregion = d\n', 'config')).toEqual([
      '3 keep one section for the profile, written [profile NAME] (or [default])',
    ]);
  });
});
