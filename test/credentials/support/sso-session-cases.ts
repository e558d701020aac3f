import type { ReaderEffect } from '../../../src/credentials/reader-differences.js';
import type { SessionOutcome } from './sso-session-oracle.js';

/** One `[sso-session …]` or `[services …]` place where the AWS CLI and the SDK read the config file differently. */
export interface SessionCase {
  what: string;
  config: string;
  session: string;
  key: string;
  /** What the AWS CLI's SSO provider says of `key` in the session (sso-session-oracle.ts). */
  awsCli: SessionOutcome;
  /** The SDK's value of that key in `sso-session.<session>` (undefined: none). */
  sdk: string | undefined;
  /** How doctor reports the place. */
  reported: { line: number; effect: ReaderEffect; profiles: string[] };
}

const START = 'sso_start_url = https://corp.awsapps.com/start\n';

/** A case asking `sso_region` of session `corp`, which the AWS CLI reads as `cli` (a conflict with the probe). */
function regionCase(
  what: string,
  config: string,
  cli: string | 'unreadable',
  sdk: string | undefined,
  line: number,
  effect: ReaderEffect,
): SessionCase {
  const awsCli: SessionOutcome =
    cli === 'unreadable' ? { kind: 'unreadable' } : { kind: 'conflict', key: 'sso_region', value: cli };
  const profiles = effect === 'aws-cli-fails' ? [] : ['sso-session.corp'];
  return {
    what,
    config,
    session: 'corp',
    key: 'sso_region',
    awsCli,
    sdk,
    reported: { line, effect, profiles },
  };
}

/** Every disagreement in an sso-session section checked against /usr/bin/aws. */
export const SESSION_CASES: SessionCase[] = [
  regionCase(
    'a comment after a value',
    `[sso-session corp]\nsso_region = eu-west-1 # Dublin\n${START}`,
    'eu-west-1 # Dublin',
    'eu-west-1',
    2,
    'aws-cli-reads-other-value',
  ),
  regionCase(
    'a [DEFAULT] section (the AWS CLI gives its keys to sso-session sections too)',
    `[DEFAULT]\nsso_region = us-east-1\n[sso-session corp]\n${START}`,
    'us-east-1',
    undefined,
    2,
    'aws-cli-only',
  ),
  regionCase(
    'a `key: value` line',
    `[sso-session corp]\nsso_region: eu-west-1\n${START}`,
    'eu-west-1',
    undefined,
    2,
    'aws-cli-only',
  ),
  regionCase(
    'a key name in upper case',
    `[sso-session corp]\nSSO_Region = eu-west-1\n${START}`,
    'eu-west-1',
    undefined,
    2,
    'aws-cli-only',
  ),
  regionCase(
    'an indented line after a value (the AWS CLI continues the value)',
    `[sso-session corp]\nsso_region = eu-west-1\n  sso_registration_scopes = sso:account:access\n${START}`,
    'eu-west-1\nsso_registration_scopes = sso:account:access',
    'eu-west-1',
    3,
    'aws-cli-reads-other-value',
  ),
  regionCase(
    'two spaces in the header (only the AWS CLI reads the session)',
    `[sso-session  corp]\nsso_region = eu-west-1\n${START}`,
    'eu-west-1',
    undefined,
    1,
    'aws-cli-only',
  ),
  regionCase(
    'a header word that only starts with sso-session',
    `[sso-sessions corp]\nsso_region = eu-west-1\n${START}`,
    'eu-west-1',
    undefined,
    1,
    'aws-cli-only',
  ),
  regionCase(
    'a key repeated in the session',
    `[sso-session corp]\nsso_region = eu-west-1\nsso_region = us-east-1\n${START}`,
    'unreadable',
    'us-east-1',
    3,
    'aws-cli-fails',
  ),
  regionCase(
    'a key repeated in a [services] section (the AWS CLI cannot read the file at all)',
    `[services mine]\nsts =\n  endpoint_url = http://localhost:4566\nsts = x\n[sso-session corp]\nsso_region = eu-west-1\n${START}`,
    'unreadable',
    'eu-west-1',
    4,
    'aws-cli-fails',
  ),
];
