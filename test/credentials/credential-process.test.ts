// The edits of `keyrot protect`/`unprotect` on documents: key lines removed with every other byte kept,
// and keyrot's credential_process value written so that the AWS CLI (shlex) and the SDK (a shell) read it.
import { describe, expect, it } from 'vitest';
import { keyrotCredentialProcess, keyrotProcessProfile } from '../../src/credentials/credential-process.js';
import { appendLead, parseSharedFile } from '../../src/credentials/document.js';

describe('removeProfileKeys', () => {
  it('removes every line of the keys in the profile, duplicates and CRLF included, and nothing else', () => {
    const text =
      '# head\r\n[p]\r\naws_access_key_id = OLD\r\nregion = x ; kept\r\naws_access_key_id = AKIA1\r\naws_secret_access_key = s\r\n[q]\r\naws_access_key_id = AKIA2\r\n[p]\r\naws_secret_access_key = s2';
    const doc = parseSharedFile(text, 'credentials');
    expect(doc.removeProfileKeys('p', ['aws_access_key_id', 'aws_secret_access_key'])).toBe(4);
    expect(doc.toString()).toBe(
      '# head\r\n[p]\r\nregion = x ; kept\r\n[q]\r\naws_access_key_id = AKIA2\r\n[p]\r\n',
    );
    expect(doc.profiles().get('p')).toEqual({ region: 'x' });
  });

  it('reads config sections as the SDK does: [profile p] and [profile "p"], never [p] of another name', () => {
    const text = '[profile p]\ncredential_process = a\n[profile pp]\ncredential_process = b\n';
    const doc = parseSharedFile(text, 'config');
    expect(doc.removeProfileKeys('p', ['credential_process'])).toBe(1);
    expect(doc.toString()).toBe('[profile p]\n[profile pp]\ncredential_process = b\n');
    expect(parseSharedFile(text, 'config').removeProfileKeys('missing', ['credential_process'])).toBe(0);
  });
});

describe('keyrot credential_process', () => {
  it('quotes the paths, and a profile name only when it needs it; reads back the profile', () => {
    const plain = keyrotCredentialProcess('/usr/bin/node', '/opt/key rot/cli.cjs', 'dev');
    expect(plain).toBe('"/usr/bin/node" "/opt/key rot/cli.cjs" credentials --profile dev');
    expect(keyrotProcessProfile(plain)).toBe('dev');
    const spaced = keyrotCredentialProcess('/usr/bin/node', '/k', 'my profile');
    expect(spaced.endsWith('--profile "my profile"')).toBe(true);
    expect(keyrotProcessProfile(spaced)).toBe('my profile');
    expect(keyrotProcessProfile('aws-vault exec dev --json')).toBeUndefined();
    expect(() => keyrotCredentialProcess('/usr/bin/node', '/k$HOME', 'dev')).toThrow(/cannot quote/);
  });
});

describe('removeEmptyProfileSection', () => {
  // Each text as a person left it; protect appends [profile p] (and [profile q]) to it, unprotect takes them out.
  const texts = [
    '',
    '[profile a]\nregion = x\n',
    '[profile a]\nregion = x',
    '[profile a]\nregion = x\n\n',
    '# only a comment\r\n',
    '[default]\r\nregion = y\r\n\r\n\r\n',
  ];
  it.each(texts)('gives back the exact bytes after a section was appended and emptied: %j', (text) => {
    const doc = parseSharedFile(text, 'config');
    const lead = appendLead(text);
    doc.setProfileValues(
      [
        { profile: 'p', key: 'credential_process', value: 'k p' },
        { profile: 'q', key: 'credential_process', value: 'k q' },
      ],
      { create: true },
    );
    expect(doc.hasProfileHeader('p')).toBe(true);
    expect(doc.toString().length).toBeGreaterThan(text.length);
    doc.removeProfileKeys('p', ['credential_process']);
    doc.removeProfileKeys('q', ['credential_process']);
    expect(doc.removeEmptyProfileSection('q')).toBe(true);
    expect(doc.removeEmptyProfileSection('p', lead)).toBe(true);
    expect(doc.toString()).toBe(text);
    expect(parseSharedFile(text, 'config').hasProfileHeader('p')).toBe(false);
  });

  it('keeps a section that holds anything else, or a profile with two headers', () => {
    for (const text of [
      '[profile a]\n\n[profile p]\nregion = x\n',
      '[profile p]\n# a comment of yours\n',
      '[profile p]\n[profile p]\n',
    ]) {
      const doc = parseSharedFile(text, 'config');
      expect(doc.removeEmptyProfileSection('p', '\n')).toBe(false);
      expect(doc.toString()).toBe(text);
    }
    // A lead that is not there is not taken: only the header goes.
    const doc = parseSharedFile('[profile a]\nregion = x\n[profile p]\n', 'config');
    expect(doc.removeEmptyProfileSection('p', '\n')).toBe(true);
    expect(doc.toString()).toBe('[profile a]\nregion = x\n');
  });
});
