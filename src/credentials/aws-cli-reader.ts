// How the AWS CLI v2 reads ~/.aws/credentials and ~/.aws/config: botocore's config loader over Python's
// configparser (RawConfigParser: strict, `=` and `:` delimiters, lower-cased option names, indented
// continuation lines, no inline comments, a [DEFAULT] section inherited by every section). keyrot follows
// the JS SDK's grammar (grammar.ts); this model exists only to find where the two readers disagree, and
// test/credentials holds it to `/usr/bin/aws configure get`.
import { type FileKind, isJsWhitespace } from './grammar.js';

/** Why the AWS CLI cannot read a file at all ("Unable to parse config file"). */
export type AwsCliFailure =
  | 'invalid-utf8'
  | 'bom'
  | 'line-before-section'
  | 'duplicate-section'
  | 'duplicate-option'
  | 'line-without-delimiter'
  | 'sub-section-line-without-equals';

/** One option of a section as the AWS CLI reads it. */
export interface AwsCliOption {
  /** The value; a sub-section (`s3 =` followed by indented `key = value` lines) is a map. */
  value: string | Record<string, string>;
  /** 1-based line (counted by LF, as the SDK and editors count) of the option's own line. */
  line: number;
  /** The option name as written (the CLI lower-cases it). */
  writtenName: string;
  /** The delimiter between name and value. */
  delimiter: '=' | ':';
  /** The value text on the option's own line (before continuation lines are joined). */
  ownValue: string;
  /** Lines the CLI joined to this value because they are indented deeper than the option's line. */
  continuationLines: number[];
  /** True when the option comes from the [DEFAULT] section, which every section inherits. */
  inherited: boolean;
}

/** One section as the AWS CLI reads it (options include those inherited from [DEFAULT]). */
export interface AwsCliSection {
  /** The text between the brackets (`profile x`). */
  name: string;
  /** 1-based line of its header. */
  headerLine: number;
  options: Map<string, AwsCliOption>;
}

/** A file as the AWS CLI reads it: its sections, or why it cannot read it. */
export type AwsCliReading =
  | { ok: true; sections: AwsCliSection[]; defaultLine?: number }
  | { ok: false; failure: AwsCliFailure; line: number };

/** A profile as the AWS CLI takes it from one file. */
export interface AwsCliProfile {
  section: AwsCliSection;
  /** Values by option name; a sub-section's keys are flattened to `name.key`, as the SDK names them. */
  values: Map<string, { value: string; option: AwsCliOption }>;
}

interface PendingOption {
  option: AwsCliOption;
  parts: string[];
}

/**
 * Reads a shared file's bytes as the AWS CLI does: decoded as strict UTF-8 (the locale encoding of the
 * machines keyrot runs on; a BOM is kept as a character, invalid bytes fail), lines split at LF, CR and
 * CRLF, then configparser's rules.
 */
export function readAsAwsCli(input: Uint8Array | string): AwsCliReading {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      return { ok: false, failure: 'invalid-utf8', line: invalidUtf8Line(input) };
    }
  }
  const sections = new Map<string, { section: AwsCliSection; pending: Map<string, PendingOption> }>();
  const defaults = new Map<string, PendingOption>();
  let defaultLine: number | undefined;
  let current: Map<string, PendingOption> | undefined;
  let option: PendingOption | undefined;
  let indentLevel = 0;
  let deferred: { failure: AwsCliFailure; line: number } | undefined;
  // The BOM is read as a character: the first line is then neither blank, a comment nor a header.
  if (text.startsWith('\uFEFF')) return { ok: false, failure: 'bom', line: 1 };
  const length = text.length;
  let nextLf = -1;
  let nextCr = -1;
  let lfLine = 1;
  // Python's text files split lines at LF, CR and CRLF; lines are counted by LF only, as the SDK counts them.
  for (let start = 0; start < length; ) {
    if (nextLf < start) nextLf = indexOrEnd(text, '\n', start);
    if (nextCr < start) nextCr = indexOrEnd(text, '\r', start);
    const end = Math.min(nextLf, nextCr);
    const line = lfLine;
    let next = end + 1;
    if (end === nextCr && nextLf === end + 1) next = end + 2;
    if (next - 1 === nextLf) lfLine += 1;
    const lineStart = start;
    start = next;
    let ts = lineStart;
    while (ts < end && isPyWhitespace(text.charCodeAt(ts))) ts += 1;
    let te = end;
    while (te > ts && isPyWhitespace(text.charCodeAt(te - 1))) te -= 1;
    const first = text.charCodeAt(ts);
    const isComment = ts < te && (first === 35 || first === 59);
    if (ts === te || isComment) {
      // A blank line inside a value belongs to it (trailing ones are dropped at the end); a comment does not.
      if (!isComment && current && option) option.parts.push('');
      continue;
    }
    const indent = ts - lineStart;
    if (current && option && indent > indentLevel) {
      option.parts.push(text.slice(ts, te));
      option.option.continuationLines.push(line);
      continue;
    }
    indentLevel = indent;
    // `[` + anything + `]` at the start of the stripped line; the name runs to the line's last `]`.
    const close = first === 91 ? text.lastIndexOf(']', te - 1) : -1;
    if (close > ts + 1) {
      const header = text.slice(ts + 1, close);
      option = undefined;
      if (sections.has(header)) return { ok: false, failure: 'duplicate-section', line };
      if (header === 'DEFAULT') {
        current = defaults;
        defaultLine ??= line;
      } else {
        current = new Map();
        sections.set(header, {
          section: { name: header, headerLine: line, options: new Map() },
          pending: current,
        });
      }
      continue;
    }
    if (!current) return { ok: false, failure: 'line-before-section', line };
    // The name runs to the first `=` or `:`; Python's own white space is stripped around both parts.
    let delimiter = ts;
    while (delimiter < te && text.charCodeAt(delimiter) !== 61 && text.charCodeAt(delimiter) !== 58)
      delimiter += 1;
    if (delimiter === te) {
      // configparser reports these at the end of the file (an earlier fatal error wins) and reads on.
      deferred ??= { failure: 'line-without-delimiter', line };
      continue;
    }
    const written = pyRstrip(text.slice(ts, delimiter));
    if (written === '') deferred ??= { failure: 'line-without-delimiter', line };
    const name = written.toLowerCase();
    // Sections never repeat (that fails above) and [DEFAULT]'s map is one: a name seen is a repeated key.
    if (current.has(name)) return { ok: false, failure: 'duplicate-option', line };
    const own = pyStrip(text.slice(delimiter + 1, te));
    option = {
      option: {
        value: '',
        line,
        writtenName: written,
        delimiter: text[delimiter] as '=' | ':',
        ownValue: own,
        continuationLines: [],
        inherited: current === defaults,
      },
      parts: [own],
    };
    current.set(name, option);
  }
  if (deferred) return { ok: false, ...deferred };
  const finish = (pending: PendingOption): AwsCliOption | null => {
    const joined =
      pending.parts.length === 1 ? (pending.parts[0] as string) : pyRstrip(pending.parts.join('\n'));
    const nested = joined.startsWith('\n') ? parseNested(joined) : joined;
    if (nested === null) return null;
    pending.option.value = nested;
    return pending.option;
  };
  const result: AwsCliSection[] = [];
  // Each section's values in configparser's order, its own then the [DEFAULT] ones it has none of: a
  // [DEFAULT] value is parsed only as part of a section that inherits it, so one every section overrides
  // (or any with no section at all) is never parsed.
  for (const { section, pending } of sections.values()) {
    const inheritedOnly = [...defaults].filter(([name]) => !pending.has(name));
    for (const [name, one] of [...pending, ...inheritedOnly]) {
      const done = finish(one);
      if (done === null)
        return { ok: false, failure: 'sub-section-line-without-equals', line: one.option.line };
      section.options.set(name, done);
    }
    result.push(section);
  }
  return defaultLine === undefined
    ? { ok: true, sections: result }
    : { ok: true, sections: result, defaultLine };
}

/**
 * The profiles the AWS CLI takes from a reading: every section of the credentials file by its name; in the
 * config file `[default]` and `[profile NAME]`, NAME split as a shell would (so `[profile "a b"]` is `a b`),
 * a later section of the same profile replacing an earlier one.
 */
export function awsCliProfiles(reading: AwsCliReading, kind: FileKind): Map<string, AwsCliProfile> {
  if (kind === 'credentials') return namedSections(reading, (section) => section);
  return namedSections(reading, (section) =>
    section === 'default' ? section : section.startsWith('profile') ? shellName(section) : undefined,
  );
}

/** The config file's sections that are not profiles but that the AWS CLI reads by name. */
export type AwsCliSectionKind = 'sso-session' | 'services';

/**
 * The config file's `[sso-session NAME]` (or `[services NAME]`) sections as the AWS CLI (botocore's
 * build_profile_map) takes them: any header starting with the word's letters and splitting, as a shell
 * would, into two words names the second; a later one replaces an earlier one. AWS CLI versions before
 * [services] support (Debian 12's 2.9.19 among them) ignore `[services …]` sections altogether.
 */
export function awsCliNamedSections(
  reading: AwsCliReading,
  kind: AwsCliSectionKind,
): Map<string, AwsCliProfile> {
  // botocore tests `profile` first: a header that starts with it is never anything else.
  return namedSections(reading, (section) =>
    !section.startsWith('profile') && section.startsWith(kind) ? shellName(section) : undefined,
  );
}

// The sections `nameOf` names (undefined: skipped), with sub-section keys flattened to `name.key`.
function namedSections(
  reading: AwsCliReading,
  nameOf: (section: string) => string | undefined,
): Map<string, AwsCliProfile> {
  const found = new Map<string, AwsCliProfile>();
  if (!reading.ok) return found;
  for (const section of reading.sections) {
    const name = nameOf(section.name);
    if (name === undefined) continue;
    const values = new Map<string, { value: string; option: AwsCliOption }>();
    for (const [key, option] of section.options) {
      if (typeof option.value === 'string') values.set(key, { value: option.value, option });
      else
        for (const [sub, value] of Object.entries(option.value))
          values.set(`${key}.${sub}`, { value, option });
    }
    found.set(name, { section, values });
  }
  return found;
}

// The second of exactly two shell words (`profile "a b"` → `a b`), else undefined.
function shellName(header: string): string | undefined {
  const words = shellWords(header);
  return words?.length === 2 ? words[1] : undefined;
}

/** What `aws configure get --profile P KEY` answers for a key without a dot, from both files' readings. */
export type AwsCliAnswer =
  | { kind: 'value'; value: string }
  | { kind: 'sub-section' }
  | { kind: 'no-value' }
  | { kind: 'no-profile' }
  | { kind: 'unreadable'; file: 'credentials' | 'config' };

/** The answer of `aws configure get --profile P KEY`: the config file's profile updated by the credentials file's. */
export function awsCliConfigureGet(
  config: AwsCliReading,
  credentials: AwsCliReading,
  profile: string,
  key: string,
): AwsCliAnswer {
  if (!config.ok) return { kind: 'unreadable', file: 'config' };
  if (!credentials.ok) return { kind: 'unreadable', file: 'credentials' };
  const fromConfig = awsCliProfiles(config, 'config').get(profile);
  const fromCredentials = awsCliProfiles(credentials, 'credentials').get(profile);
  if (!fromConfig && !fromCredentials) return { kind: 'no-profile' };
  const option = fromCredentials?.section.options.get(key) ?? fromConfig?.section.options.get(key);
  if (!option) return { kind: 'no-value' };
  return typeof option.value === 'string' ? { kind: 'value', value: option.value } : { kind: 'sub-section' };
}

// The index of `char` in `text` from `from`, or the text's length when there is none.
function indexOrEnd(text: string, char: string, from: number): number {
  const at = text.indexOf(char, from);
  return at === -1 ? text.length : at;
}

// botocore's sub-section value: one `key = value` per non-blank line; a line without `=` is an error.
function parseNested(value: string): Record<string, string> | null {
  const parsed: Record<string, string> = {};
  for (const raw of pySplitLines(value)) {
    const line = pyStrip(raw);
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq === -1) return null;
    parsed[pyStrip(line.slice(0, eq))] = pyStrip(line.slice(eq + 1));
  }
  return parsed;
}

/** Python's str.isspace for one UTF-16 code unit: JavaScript's white space plus FS GS RS US and NEL, minus the BOM. */
export function isPyWhitespace(code: number): boolean {
  if (code === 0xfeff) return false;
  return isJsWhitespace(code) || (code >= 28 && code <= 31) || code === 0x85;
}

function pyStrip(text: string): string {
  let start = 0;
  while (start < text.length && isPyWhitespace(text.charCodeAt(start))) start += 1;
  return pyRstrip(text.slice(start));
}

function pyRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && isPyWhitespace(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

// Python's str.splitlines: LF, CR, CRLF, VT, FF, FS, GS, RS, NEL, LS, PS.
function pySplitLines(text: string): string[] {
  return text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/u);
}

/**
 * Python's shlex.split (POSIX rules: blanks separate words, quotes group, a backslash escapes outside
 * single quotes); null where shlex raises (an unclosed quote or a trailing backslash).
 */
export function shellWords(text: string): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        word += text[i + 1];
        i += 1;
      } else word += c;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\') {
        if (i + 1 >= text.length) return null;
        word += text[i + 1];
        i += 1;
      } else word += c;
    }
  }
  if (quote !== null) return null;
  if (inWord) words.push(word);
  return words;
}

// The LF-counted line of the first byte that is not valid UTF-8.
function invalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix, by bisection (a prefix cut inside a character counts as invalid).
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      decoder.decode(bytes.subarray(0, mid));
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  let line = 1;
  for (let i = 0; i < low; i += 1) if (bytes[i] === 10) line += 1;
  return line;
}
