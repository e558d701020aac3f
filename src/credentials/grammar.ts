// The AWS shared-file grammar exactly as @smithy/shared-ini-file-loader's parseIni reads it, as a
// scanner that also reports byte-exact positions so the document model can edit in place.
// Every rule below mirrors one line of the SDK; the differential test in test/credentials holds us to it.

/** Which of the two AWS shared files a text is. */
export type FileKind = 'credentials' | 'config';

// A comment starts at `;` or `#` at line start or after any whitespace (JS `\s`, as the SDK).
const COMMENT = /(^|\s)[;#]/;
// `[prefix name]` headers; the SDK's character class `[\w-@+.%:/]` reads `-` literally after `\w`.
const PREFIXED = /^([\w-]+)\s(["'])?([\w\-@+.%:/]+)\2$/;
/** Section prefixes the SDK keeps (IniSectionType). */
export const SECTION_PREFIXES: readonly string[] = ['profile', 'sso-session', 'services'];
// Header names that make the SDK throw, which turns the whole file into an empty reading.
const BLOCKED = ['__proto__', 'profile __proto__'];

/** The SDK's internal name of the section a header opens, or undefined when the SDK ignores the section. */
export function sectionNameOf(headerInner: string): string | undefined {
  // The prefixed form needs white space between prefix and name; most headers have none, skip the regex.
  let spaced = false;
  for (let i = 0; i < headerInner.length && !spaced; i += 1)
    spaced = isJsWhitespace(headerInner.charCodeAt(i));
  if (!spaced) return headerInner;
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
  /** With `stopAtUnwanted`: offset of the unwanted header line the scan stopped at (text.length + 1 at the end). */
  stoppedAt: number;
  /** The line number at `stoppedAt`. */
  stoppedLine: number;
}

/** Where a scan starts and when it stops (defaults: the whole text). */
export interface ScanRange {
  /** Offset of the line to start at (a line start). */
  from?: number;
  /** The 1-based number of that line. */
  fromLine?: number;
  /** Return at the first header of a section `wanted` rejects, instead of skipping to the next one. */
  stopAtUnwanted?: boolean;
}

/**
 * True for the characters JavaScript's `\s` and String.prototype.trim treat as white space (WhiteSpace and
 * LineTerminator: ASCII TAB LF VT FF CR SPACE, NBSP, BOM, LS, PS and the Unicode Zs characters).
 */
export function isJsWhitespace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** One line measured with the SDK's rules: `[ts, te)` is its comment-free, trimmed content. */
interface LineShape {
  /** Offset after the line's LF (text.length + 1 for the last line). */
  next: number;
  ts: number;
  te: number;
}

// Measures the line starting at `start` into `shape` (reused: this runs for every line of every edit).
function measureLine(text: string, start: number, shape: LineShape): void {
  const length = text.length;
  let newline = text.indexOf('\n', start);
  if (newline === -1) newline = length;
  // The SDK splits on /\r?\n/: a CR right before the LF belongs to the line ending.
  const end =
    newline < length && newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
  // Comment: `;` or `#` at line start or after white space; the SDK cuts before that white space.
  let cut = end;
  for (let j = start; j < end; j += 1) {
    const c = text.charCodeAt(j);
    if ((c === 59 || c === 35) && (j === start || isJsWhitespace(text.charCodeAt(j - 1)))) {
      cut = j === start ? start : j - 1;
      break;
    }
  }
  let ts = start;
  while (ts < cut && isJsWhitespace(text.charCodeAt(ts))) ts += 1;
  let te = cut;
  while (te > ts && isJsWhitespace(text.charCodeAt(te - 1))) te -= 1;
  shape.next = newline + 1;
  shape.ts = ts;
  shape.te = te;
}

function isHeaderShape(text: string, shape: LineShape): boolean {
  return shape.te > shape.ts && text.charCodeAt(shape.ts) === 91 && text.charCodeAt(shape.te - 1) === 93;
}

/**
 * The header read from the line at `start`: null when the line is not a header, else the text between
 * the brackets and the SDK's section name (undefined when the SDK ignores the section). Context-free.
 */
export function headerAt(text: string, start: number): { inner: string; section: string | undefined } | null {
  const shape: LineShape = { next: 0, ts: 0, te: 0 };
  measureLine(text, start, shape);
  if (!isHeaderShape(text, shape)) return null;
  const inner = text.slice(shape.ts + 1, shape.te - 1);
  return { inner, section: sectionNameOf(inner) };
}

/**
 * Walks `text` line by line with the SDK's rules, reporting headers and stored entries with positions.
 * With `wanted`, lines of other sections are skipped (a jump to the next line starting with `[`) and their
 * headers reported as undefined. Works on character codes, not per-line substrings: it runs on every edit.
 */
export function scanSharedText(
  text: string,
  visitor: ScanVisitor,
  wanted?: (section: string | undefined) => boolean,
  range: ScanRange = {},
): ScanResult {
  let section: string | undefined;
  let subSection: string | undefined;
  let start = range.from ?? 0;
  let line = (range.fromLine ?? 1) - 1;
  let skipping = false;
  const length = text.length;
  const shape: LineShape = { next: 0, ts: 0, te: 0 };
  const end = () => ({ stoppedAt: length + 1, stoppedLine: line + 1 });
  for (;;) {
    if (skipping) {
      // Inside a section nobody asked about only the next header matters: jump to the next line whose first
      // non-blank character is `[` (every header line is one), counting the lines passed over.
      let lineStart = -1;
      for (let bracket = text.indexOf('[', start); bracket !== -1; bracket = text.indexOf('[', bracket + 1)) {
        const candidate = text.lastIndexOf('\n', bracket) + 1;
        let j = candidate;
        while (j < bracket && isJsWhitespace(text.charCodeAt(j))) j += 1;
        if (j === bracket) {
          lineStart = candidate;
          break;
        }
      }
      if (lineStart === -1) {
        line += countNewlines(text, start, length);
        return end();
      }
      line += countNewlines(text, start, lineStart);
      start = lineStart;
    }
    line += 1;
    measureLine(text, start, shape);
    const { next, ts, te } = shape;
    if (isHeaderShape(text, shape)) {
      subSection = undefined;
      const inner = text.slice(ts + 1, te - 1);
      section = sectionNameOf(inner);
      if (BLOCKED.includes(inner)) return { blockedLine: line, stoppedAt: start, stoppedLine: line };
      const rejected = wanted !== undefined && !wanted(section);
      if (rejected && range.stopAtUnwanted) return { stoppedAt: start, stoppedLine: line };
      visitor.header?.(rejected ? undefined : section, line, next);
      skipping = rejected;
    } else if (section) {
      let eq = ts;
      while (eq < te && text.charCodeAt(eq) !== 61) eq += 1;
      if (eq > ts && eq < te) {
        let nameEnd = eq;
        while (nameEnd > ts && isJsWhitespace(text.charCodeAt(nameEnd - 1))) nameEnd -= 1;
        let valueStart = eq + 1;
        while (valueStart < te && isJsWhitespace(text.charCodeAt(valueStart))) valueStart += 1;
        const name = text.slice(ts, nameEnd);
        if (valueStart === te) {
          subSection = name;
          visitor.opener?.(section, line, next);
        } else {
          // A non-indented line with a value ends a sub-section (the SDK tests the raw line).
          if (subSection && !isJsWhitespace(text.charCodeAt(start))) subSection = undefined;
          const key = subSection ? `${subSection}.${name}` : name;
          visitor.entry?.(section, key, valueStart, te, line, next);
        }
      }
    }
    if (next > length) return end();
    start = next;
  }
}

/** Number of LF characters in text[from, to), with native indexOf (much faster here than a character loop). */
export function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
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
