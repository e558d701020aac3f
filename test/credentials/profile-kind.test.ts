import { describe, expect, it } from 'vitest';
import { profileKind, shownProfileKind } from '../../src/credentials/profile-kind.js';

const KEY = { aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'secret' };
const OURS = '"/usr/bin/node" "/opt/keyrot/cli.cjs" credentials --profile p';

describe('profileKind', () => {
  it("follows the SDK chain's order: a role beats a key beside it, SSO beats a key, a session token makes a session", () => {
    expect(profileKind({ ...KEY, role_arn: 'arn:aws:iam::1:role/r' })).toBe('role');
    expect(profileKind({ role_arn: 'arn', web_identity_token_file: '/t' })).toBe('web-identity');
    expect(profileKind({ ...KEY, sso_session: 'corp' })).toBe('sso');
    expect(profileKind({ sso_start_url: 'https://x' })).toBe('sso');
    expect(profileKind({ ...KEY, aws_session_token: 'tok' })).toBe('session');
    expect(profileKind({ ...KEY, credential_process: '/bin/true' })).toBe('static');
    expect(profileKind({ credential_process: '/bin/true' })).toBe('process');
  });

  it('takes an empty value for no value, and half a key for none', () => {
    expect(profileKind({ ...KEY, role_arn: '' })).toBe('static');
    expect(profileKind({ role_arn: '', web_identity_token_file: '/t' })).toBe('none');
    expect(profileKind({ aws_access_key_id: 'AKIAEXAMPLE' })).toBe('none');
    expect(profileKind({ aws_secret_access_key: 'secret' })).toBe('none');
    expect(profileKind({ aws_access_key_id: 'AKIAEXAMPLE', aws_session_token: '' })).toBe('none');
    expect(profileKind({})).toBe('none');
  });
});

describe('shownProfileKind', () => {
  const files = (config: Record<string, Record<string, string>>, credentials = {}) => ({
    config: new Map(Object.entries(config)),
    credentials: new Map(Object.entries(credentials as Record<string, Record<string, string>>)),
  });

  it("calls a profile protected only when keyrot's own credential_process serves that very profile", () => {
    expect(shownProfileKind(files({ p: { credential_process: OURS } }), 'p')).toBe('protected');
    // Another profile's line, or someone else's program: a process profile.
    expect(shownProfileKind(files({ q: { credential_process: OURS } }), 'q')).toBe('process');
    expect(shownProfileKind(files({ p: { credential_process: '/bin/true' } }), 'p')).toBe('process');
    // A key back in the credentials file wins (the SDK reads it first): static.
    expect(shownProfileKind(files({ p: { credential_process: OURS } }, { p: KEY }), 'p')).toBe('static');
  });

  it('merges the credentials file over the config file, and a profile in neither is none', () => {
    expect(shownProfileKind(files({ p: { role_arn: 'arn' } }, { p: KEY }), 'p')).toBe('role');
    expect(shownProfileKind(files({ p: KEY }, { p: { aws_session_token: 't' } }), 'p')).toBe('session');
    expect(shownProfileKind(files({}), 'absent')).toBe('none');
  });
});
