// The AWS shared-file grammar exactly as @smithy/shared-ini-file-loader's parseIni reads it, as a
// scanner that also reports byte-exact positions so the document model can edit in place.
// Every rule below mirrors one line of the SDK; the differential test in test/credentials holds us to it.

/** Which of the two AWS shared files a text is. */
export type FileKind = 'credentials' | 'config';

// A comment starts at `;` or `#` at line start or after any whitespace (JS `\s`, as the SDK).
const COMMENT = /(^|\s)[;#]/;
// `[prefix name]` headers; the SDK's character class `[\w-@+.%:/]` reads `-` literally after `\w`.
const PREFIXED = /^([\w-]+)\s(["'])?([\w\-@+.%:/]+)\2$/;
const LEADING_WS = /^\s/;
/** Section prefixes the SDK keeps (IniSectionType). */
export const SECTION_PREFIXES: readonly string[] = ['profile', 'sso-session', 'services'];
// Header names that make the SDK throw, which turns the whole file into an empty reading.
const BLOCKED = ['__proto__', 'profile __proto__'];

/** The SDK's internal name of the section a header opens, or undefined when the SDK ignores the section. */
export function sectionNameOf(headerInner: string): string | undefined {
  const match = PREFIXED.exec(headerInner);
  if (!match) return headerInner;
  const prefix = match[1] as string;
  return SECTION_PREFIXES.includes(prefix) ? `${prefix}.${match[3]}` : undefined;
}

/** True when the SDK's plain-object map would lose a section of this name (it exists on Object.prototype). */
export function isShadowedName(name: string): boolean {
  return name in Object.prototype;
}

/** Callbacks of `scanSharedText`; positions are UTF-16 offsets into the text, lines are 1-based. */
export interface ScanVisitor {
  /** A section header; `section` is the SDK's internal name (`profile.x`), undefined when ignored. */
  header?(section: string | undefined, line: number, nextLineStart: number): void;
  /** A `key = value` line the SDK stores as map[section][key] = text.slice(valueStart, valueEnd). */
  entry?(
    section: string,
    key: string,
    valueStart: number,
    valueEnd: number,
    line: number,
    nextLineStart: number,
  ): void;
  /** A `name =` line (empty value) in a live section: opens a sub-section, stores nothing. */
  opener?(section: string, line: number, nextLineStart: number): void;
}

/** What a scan found about the file as a whole. */
export interface ScanResult {
  /** Line of a `[__proto__]`-style header: the SDK rejects the file and reads it as empty. */
  blockedLine?: number;
  /** Number of lines (the SDK's `split(/\r?\n/)` count). */
  lines: number;
}

/** Walks `text` line by line with the SDK's rules, reporting headers and stored entries with positions. */
export function scanSharedText(text: string, visitor: ScanVisitor): ScanResult {
  let section: string | undefined;
  let subSection: string | undefined;
  let start = 0;
  let line = 0;
  const length = text.length;
  while (start <= length) {
    line += 1;
    let newline = text.indexOf('\n', start);
    if (newline === -1) newline = length;
    // The SDK splits on /\r?\n/: a CR right before the LF belongs to the line ending.
    const end =
      newline < length && newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
    const next = newline + 1;
    const raw = text.slice(start, end);
    let cut = raw.length;
    if (raw.includes(';') || raw.includes('#')) {
      const comment = COMMENT.exec(raw);
      if (comment) cut = comment.index;
    }
    const code = cut === raw.length ? raw : raw.slice(0, cut);
    const trimmed = code.trim();
    if (trimmed[0] === '[' && trimmed[trimmed.length - 1] === ']') {
      subSection = undefined;
      const inner = trimmed.slice(1, -1);
      section = sectionNameOf(inner);
      if (BLOCKED.includes(inner)) return { blockedLine: line, lines: line };
      visitor.header?.(section, line, next);
    } else if (section) {
      const eq = trimmed.indexOf('=');
      if (eq > 0) {
        const name = trimmed.slice(0, eq).trim();
        const after = trimmed.slice(eq + 1);
        const value = after.trim();
        if (value === '') {
          subSection = name;
          visitor.opener?.(section, line, next);
        } else {
          // A non-indented line with a value ends a sub-section (the SDK tests the raw line).
          if (subSection && !LEADING_WS.test(raw)) subSection = undefined;
          const key = subSection ? `${subSection}.${name}` : name;
          const lead = code.length - code.trimStart().length;
          const valueStart = start + lead + eq + 1 + (after.length - after.trimStart().length);
          visitor.entry?.(section, key, valueStart, valueStart + value.length, line, next);
        }
      }
    }
    if (newline === length) break;
    start = next;
  }
  return { lines: line };
}

/** The SDK key (profile name as `loadSharedConfigFiles` returns it) of a config-file internal section, or null. */
export function configKeyOf(internal: string): string | null {
  const dot = internal.indexOf('.');
  if (dot === -1) return internal === 'default' ? 'default' : null;
  const prefix = internal.slice(0, dot);
  if (prefix === 'profile') return internal.slice(dot + 1);
  return SECTION_PREFIXES.includes(prefix) ? internal : null;
}

/**
 * Why a value cannot be written so that the SDK reads it back unchanged, or null when it can.
 * The reason never quotes the value (it may be a secret).
 */
export function unwritableValueReason(value: string): string | null {
  if (value === '') return 'an empty value would open a sub-section';
  if (/[\r\n]/.test(value)) return 'a value cannot span lines';
  if (value.trim() !== value) return 'a value cannot start or end with whitespace';
  if (/^[;#]/.test(value) || COMMENT.test(value)) return 'the value would be read as a comment';
  return null;
}

/** True when a key name can be written as `key = value` and read back as the same key. */
export function isWritableKey(key: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(key);
}
