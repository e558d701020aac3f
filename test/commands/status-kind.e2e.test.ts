// `status` and `status --offline` classify every kind of profile alike (one classifier,
// src/credentials/profile-kind.ts): the built CLI, the emulator over HTTP for the static key, and the real
// Secret Service for a protected profile.
import { expect, it } from 'vitest';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock } from '../support/world.js';

/** Each profile of the world and the kind both `status` paths must show. */
const EXPECTED = {
  plain: 'static',
  temp: 'session',
  // role_arn wins over a static key beside it, as in the SDK's chain.
  keyedrole: 'role',
  sso: 'sso',
  legacysso: 'sso',
  assumed: 'role',
  web: 'web-identity',
  proc: 'process',
  nothing: 'none',
  missing: 'none',
  prot: 'protected',
};

describeWith('secretService', 'builtCli')('status kinds, online and offline', () => {
  it('status and status --offline show the same kind for every kind of profile', async () => {
    const w = await createWorld({ label: 'status-kind' });
    const alice = await w.seed('alice', { keyAgeDays: 10 });
    const bob = await w.seed('bob', { keyAgeDays: 10 });
    const key = alice.keys[0]!;
    await w.writeCredentials(
      [
        profileBlock('plain', key),
        profileBlock('temp', key, 'aws_session_token = FwoGZXIvYXdzEXAMPLE\n'),
        profileBlock('keyedrole', key, 'role_arn = arn:aws:iam::123456789012:role/r\n'),
        profileBlock('prot', bob.keys[0]!),
      ].join(''),
    );
    await w.writeConfig(
      [
        '[profile plain]\nregion = us-east-1\n',
        '[profile prot]\nregion = us-east-1\n',
        '[profile sso]\nsso_session = corp\n',
        '[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n',
        '[profile legacysso]\nsso_start_url = https://corp.awsapps.com/start\n',
        '[profile assumed]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = plain\n',
        '[profile web]\nrole_arn = arn:aws:iam::123456789012:role/r\nweb_identity_token_file = /nonexistent\n',
        '[profile proc]\ncredential_process = /bin/false\n',
        '[profile nothing]\nregion = us-east-1\n',
      ].join(''),
    );
    const protect = await w.run(['protect', '--profile', 'prot']);
    expect(protect.code, protect.stderr).toBe(0);

    const args = Object.keys(EXPECTED).flatMap((name) => ['--profile', name]);
    const kinds = async (extra: string[]) => {
      const run = await w.run(['status', '--json', ...extra, ...args]);
      expect(run.code, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as { profiles: { profile: string; kind: string }[] };
      return Object.fromEntries(doc.profiles.map((p) => [p.profile, p.kind]));
    };
    expect(await kinds([])).toEqual(EXPECTED);
    expect(await kinds(['--offline'])).toEqual(EXPECTED);
  });
});
