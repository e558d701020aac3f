import { describe, expect, it } from 'vitest';
import { withProfileSections } from '../../src/config/add-profiles.js';
import { parseSettings } from '../../src/config/load-settings.js';

const sections = [
  { name: 'dev', maxAgeDays: 60 },
  { name: 'my team', maxAgeDays: 90 },
];

describe('withProfileSections', () => {
  it.each([
    ['a new file', null],
    ['an empty file', ''],
    ['a file with a BOM only', '\uFEFF'],
    ['a file without a final newline', 'notify = false ; no popups'],
    ['a CRLF file', '; mine\r\nlog_level = debug\r\n\r\n[profile ci]\r\nmax_age_days = 30\r\n'],
    ['a file ending in blank lines', '[default]\nwarn_days = 3\n\n\n'],
  ])('keeps %s byte for byte and reads back with the new profiles', async (_name, existing) => {
    const text = withProfileSections(existing, sections, 'Added by a test.');
    expect(text.startsWith(existing ?? '')).toBe(true);
    const added = text.slice((existing ?? '').length);
    if (existing?.includes('\r\n')) expect(added.replace(/\r\n/g, '')).not.toContain('\n');
    else expect(added).not.toContain('\r');
    const settings = await parseSettings('config.ini', text, {});
    expect(settings.watch).toEqual(expect.arrayContaining(['dev', 'my team']));
    expect(settings.profile('dev').maxAgeDays).toBe(60);
    expect(settings.profile('my team').maxAgeDays).toBe(90);
  });
});
