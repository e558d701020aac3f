// The `ini` package decodes values but forgets where they came from, and splits section names at
// dots ("[profile my.team]" would become nested objects). So keyrot walks the text line by line,
// tracks sections itself, and lets `ini` decode each key line on its own.
import ini from 'ini';
import { KeyrotError } from '../errors/keyrot-error.js';

/** One `key = value` line of an INI file, with where it was found. */
export interface IniEntry {
  /** The section name as written inside the brackets (trimmed), or null before the first section. */
  section: string | null;
  /** 1-based line of the section header (0 for the top of the file). */
  sectionLine: number;
  key: string;
  /** The value as the `ini` package decodes it (quotes removed, inline comment dropped; true/false as booleans). */
  value: unknown;
  /** The value exactly as written: everything after the first `=`, trimmed (quotes and any `;`/`#` kept). */
  raw: string;
  /** 1-based line number. */
  line: number;
}

/** A section header and where it is. */
export interface IniSection {
  name: string;
  line: number;
}

const HEADER = /^\s*\[([^\]]*)\]\s*(?:[;#].*)?$/;
const COMMENT_OR_BLANK = /^\s*(?:[;#].*)?$/;

/** Splits INI text into located sections and entries; throws CONFIG_INVALID on a line that is neither. */
export function scanIni(text: string, file: string): { sections: IniSection[]; entries: IniEntry[] } {
  const sections: IniSection[] = [];
  const entries: IniEntry[] = [];
  let current: IniSection | null = null;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (COMMENT_OR_BLANK.test(raw)) return;
    const header = HEADER.exec(raw);
    if (header) {
      current = { name: ini.unsafe(header[1] ?? '').trim(), line };
      sections.push(current);
      return;
    }
    const decoded = raw.includes('=') ? ini.parse(raw) : {};
    const [key, value] = Object.entries(decoded)[0] ?? [];
    if (key === undefined) {
      const where = current ? `[${current.name}]` : 'the top of the file';
      throw new KeyrotError(
        'CONFIG_INVALID',
        `line ${line} in ${where} is not \`key = value\`: ${raw.trim()}`,
        {
          file,
          line,
          hint: 'Each setting is one `key = value` line; sections look like `[profile NAME]`.',
        },
      );
    }
    const section = current as IniSection | null;
    entries.push({
      section: section?.name ?? null,
      sectionLine: section?.line ?? 0,
      key,
      value,
      raw: raw.slice(raw.indexOf('=') + 1).trim(),
      line,
    });
  });
  return { sections, entries };
}
