// The AWS CLI's reading of an `[sso-session NAME]` section, observed: `aws configure get` cannot read those
// sections (its dotted names only reach profiles and [plugins]), but the CLI's SSO credential provider
// compares each key a profile and its sso-session both set and, when they differ, fails with
// `The value for KEY is inconsistent between profile (P) and sso-session (V).` A profile of the credentials
// file that names the session and sets KEY to a probe value thus makes the CLI print the session's KEY as
// it read it, before any network call (and HTTPS_PROXY points nowhere, should one be tried).
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { awsCliNamedSections, readAsAwsCli } from '../../../src/credentials/aws-cli-reader.js';
import { AWS_CLI, awsCliEnv } from './aws-cli-oracle.js';

/** The probe profile (only in the credentials file) and the value it sets. */
const PROBE_PROFILE = 'keyrot-probe';
const PROBE = '__probe__';

/** One question: the config file's bytes, and the value of `key` in its `[sso-session session]`. */
export interface SessionQuestion {
  config: Uint8Array;
  session: string;
  key: string;
}

/** What the AWS CLI's SSO provider did with the probe profile. */
export type SessionOutcome =
  | { kind: 'unreadable' }
  | { kind: 'no-session' }
  /** The first key the session holds with another value than the profile, and that value as read. */
  | { kind: 'conflict'; key: string; value: string }
  /** The provider went on (a required key missing, no SSO token): the session does not hold the asked key. */
  | { kind: 'no-conflict' }
  /** Anything else the AWS CLI said (never predicted: shows what surprised the test). */
  | { kind: 'other'; said: string };

/** The profile keys the probe sets: sso_role_name makes the SSO provider take the profile, `key` is asked. */
function probeValues(question: SessionQuestion): Map<string, string> {
  return new Map([
    ['sso_session', question.session],
    ['sso_role_name', PROBE],
    [question.key.toLowerCase(), PROBE],
  ]);
}

/** What the model (aws-cli-reader.ts) predicts the AWS CLI does with the question. */
export function expectedSessionOutcome(question: SessionQuestion): SessionOutcome {
  const reading = readAsAwsCli(question.config);
  if (!reading.ok) return { kind: 'unreadable' };
  const session = awsCliNamedSections(reading, 'sso-session').get(question.session);
  if (!session) return { kind: 'no-session' };
  const profile = probeValues(question);
  // botocore walks the session's keys in configparser's order: its own, then [DEFAULT]'s.
  for (const [key, option] of session.section.options) {
    const mine = profile.get(key);
    if (mine === undefined || mine === option.value) continue;
    const value = typeof option.value === 'string' ? option.value : pythonDict(option.value);
    return { kind: 'conflict', key, value };
  }
  return { kind: 'no-conflict' };
}

// Python's repr of a sub-section (a dict of strings), as the CLI's message prints it.
function pythonDict(values: Record<string, string>): string {
  const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `{${Object.entries(values)
    .map(([k, v]) => `${quote(k)}: ${quote(v)}`)
    .join(', ')}}`;
}

/** Whether a session name and key can be written into the probe profile and read back as they are. */
export function askableSession(session: string, key: string): boolean {
  return /^[\w.@+%:/-]+$/.test(session) && /^[A-Za-z0-9_]+$/.test(key);
}

let counter = 0;

/** Runs the AWS CLI's credential chain for the probe profile over the question's config file. */
export async function askSession(dir: string, question: SessionQuestion): Promise<SessionOutcome> {
  const home = join(dir, `s${counter++}`);
  await mkdir(home);
  const credentials = join(home, 'credentials');
  const config = join(home, 'config');
  const lines = [...probeValues(question)].map(([key, value]) => `${key} = ${value}`);
  await writeFile(credentials, `[${PROBE_PROFILE}]\n${lines.join('\n')}\n`, { mode: 0o600 });
  await writeFile(config, question.config, { mode: 0o600 });
  const env = awsCliEnv(home, credentials, config);

  const args = ['sts', 'get-caller-identity', '--profile', PROBE_PROFILE, '--region', 'us-east-1'];
  const stderr = await new Promise<string>((resolve, reject) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', 'http://127.0.0.1:9'],
      { env, timeout: 120_000, encoding: 'utf8' },
      (error, _stdout, err) => (error && typeof error.code !== 'number' ? reject(error) : resolve(err)),
    );
  });
  const text = stderr.trim();
  if (/^Unable to parse config file: .*\/config$/.test(text)) return { kind: 'unreadable' };
  if (text === `The specified sso-session does not exist: "${question.session}"`)
    return { kind: 'no-session' };
  const conflict =
    /^The value for (\S+) is inconsistent between profile \(__probe__\) and sso-session \((.*)\)\.$/s.exec(
      text,
    );
  if (conflict) return { kind: 'conflict', key: conflict[1] as string, value: conflict[2] as string };
  if (/missing required configuration|Error loading SSO Token|Token for .* does not exist/s.test(text))
    return { kind: 'no-conflict' };
  return { kind: 'other', said: text };
}
