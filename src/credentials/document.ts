import { KeyrotError } from '../errors/keyrot-error.js';
import {
  configKeyOf,
  type FileKind,
  isShadowedName,
  isWritableKey,
  SECTION_PREFIXES,
  scanSharedText,
  sectionNameOf,
  unwritableValueReason,
} from './grammar.js';
import { scanWantedSections } from './section-finder.js';

/** A profile as the SDK reads it: key → value (sub-section keys as `sub.key`). */
export type ProfileValues = Record<string, string>;

/** One value to set: the profile as the SDK names it, the key, the new value. */
export interface ProfileEdit {
  profile: string;
  key: string;
  value: string;
}

/** Where a profile's resolved keys stand in the file. */
export interface ProfileLocation {
  /** The SDK's internal section name (`profile.x` in the config file). */
  section: string;
  /** 1-based line of the last header of that section. */
  headerLine: number;
  /** Each resolved key with its value and the 1-based line the SDK takes it from. */
  keys: Map<string, { value: string; line: number }>;
}

interface EntryPosition {
  valueStart: number;
  valueEnd: number;
  line: number;
}

interface SectionScan {
  firstStored: number;
  lastHeaderLine: number;
  insertAt: number;
  entries: Map<string, EntryPosition>;
}

/** One replacement of text[at, end) by `text`; `order` keeps insertions at one offset in edit order. */
export interface Splice {
  at: number;
  end: number;
  text: string;
  order: number;
}

/** Parses an AWS shared file into a line-preserving document (no work is done until it is queried). */
export function parseSharedFile(
  text: string,
  kind: FileKind,
  options: { file?: string } = {},
): SharedFileDocument {
  return new SharedFileDocument(text, kind, options.file);
}

/**
 * An AWS credentials or config file that reads exactly like the SDK and edits only value bytes:
 * every other character (comments, order, spacing, CRLF, BOM, a missing final newline) is kept.
 */
export class SharedFileDocument {
  #source: string;
  // Splices not yet applied to #source: the writer can use them directly, so the text is built only if asked.
  #pending: Splice[] = [];
  #version = 0;
  // The splices of the first edit batch, relative to the parsed text; null once a second batch makes them stale.
  #splices: Splice[] | null = [];
  // The last targeted scan, reused while the text and the wanted sections are the same (one scan per edit).
  #cache:
    | { version: number; key: string; sections: Map<string, SectionScan>; blocked: number | undefined }
    | undefined;
  /** Which file this is; decides how `[profile x]` headers are read. */
  readonly kind: FileKind;
  /** The path, used only to name the file in errors. */
  readonly file: string | undefined;

  constructor(text: string, kind: FileKind, file?: string) {
    this.#source = text;
    this.kind = kind;
    this.file = file;
  }

  /** The file's text, byte-identical to the input when nothing was edited. */
  toString(): string {
    return this.#text;
  }

  get #text(): string {
    if (this.#pending.length > 0) {
      this.#source = applySplices(this.#source, this.#pending);
      this.#pending = [];
    }
    return this.#source;
  }

  /** Whether any edit changed the text since it was parsed. */
  get edited(): boolean {
    return this.#version > 0;
  }

  /**
   * The changes since parsing as splices of the parsed text, in ascending order (so a writer can reuse the
   * original bytes around them); null when several edit batches were applied.
   */
  splicesSinceParse(): readonly Splice[] | null {
    return this.#splices === null
      ? null
      : [...this.#splices].sort((a, b) => a.at - b.at || a.order - b.order);
  }

  /** Line of a header that makes the SDK reject the whole file (`[__proto__]`), if any. */
  blockedLine(): number | undefined {
    const text = this.#text;
    return text.includes('__proto__') ? scanSharedText(text, {}).blockedLine : undefined;
  }

  /** Every section exactly as `loadSharedConfigFiles` returns it for this file (config: `[profile x]` → `x`). */
  profiles(): Map<string, ProfileValues> {
    const internal = new Map<string, ProfileValues>();
    const text = this.#text;
    const scan = scanSharedText(text, {
      entry(section, key, valueStart, valueEnd) {
        // The SDK stores into a plain object: names on Object.prototype vanish, `__proto__` keys too.
        if (isShadowedName(section)) return;
        let values = internal.get(section);
        if (!values) {
          values = {};
          internal.set(section, values);
        }
        if (key !== '__proto__') values[key] = text.slice(valueStart, valueEnd);
      },
    });
    if (scan.blockedLine !== undefined) return new Map();
    if (this.kind === 'credentials') return internal;
    // getConfigData: `default` first, then every kept section in creation order, later ones replacing.
    const result = new Map<string, ProfileValues>();
    const plainDefault = internal.get('default');
    if (plainDefault) result.set('default', plainDefault);
    for (const [section, values] of internal) {
      if (section.indexOf('.') === -1) continue;
      const key = configKeyOf(section);
      if (key !== null && key !== '__proto__') result.set(key, values);
    }
    return result;
  }

  /** Where the SDK finds the given profile's keys, or undefined when the SDK does not see the profile. */
  locateProfile(profile: string): ProfileLocation | undefined {
    const { sections, blocked } = this.#scanSections(this.#candidates(profile));
    if (blocked !== undefined) return undefined;
    const section = this.#effective(profile, sections);
    if (section === undefined) return undefined;
    const scan = sections.get(section) as SectionScan;
    const keys = new Map<string, { value: string; line: number }>();
    for (const [key, at] of scan.entries) {
      if (key !== '__proto__')
        keys.set(key, { value: this.#text.slice(at.valueStart, at.valueEnd), line: at.line });
    }
    return { section, headerLine: scan.lastHeaderLine, keys };
  }

  /** Sets one value of one profile; see setProfileValues. */
  setProfileValue(profile: string, key: string, value: string, options: { create?: boolean } = {}): void {
    this.setProfileValues([{ profile, key, value }], options);
  }

  /**
   * Sets values in place: the occurrence the SDK resolves (the last one in the effective section) has only
   * its value bytes replaced; a missing key is inserted after the section's last key line, in the file's
   * newline style. A missing profile is PROFILE_NOT_FOUND unless `create`, which appends a new section.
   */
  setProfileValues(edits: ProfileEdit[], options: { create?: boolean } = {}): void {
    for (const edit of edits) this.#checkWritable(edit);
    const wanted = new Set<string>();
    for (const edit of edits) for (const name of this.#candidates(edit.profile)) wanted.add(name);
    const { sections, blocked } = this.#scanSections(wanted);
    if (blocked !== undefined) {
      throw new KeyrotError(
        'FILE_INVALID',
        `The SDK rejects this file: a section named __proto__ on line ${blocked}.`,
        {
          file: this.file,
          line: blocked,
          hint: 'Rename or remove that section, then try again.',
        },
      );
    }
    const text = this.#text;
    const eol = newlineOf(text);
    const splices: Splice[] = [];
    const appended = new Map<string, string[]>();
    let order = 0;
    for (const edit of edits) {
      const section =
        this.#effective(edit.profile, sections) ?? this.#createTarget(edit.profile, sections, options);
      const scan = section === undefined ? undefined : sections.get(section);
      const current = scan?.entries.get(edit.key);
      if (current) {
        if (text.slice(current.valueStart, current.valueEnd) !== edit.value) {
          splices.push({ at: current.valueStart, end: current.valueEnd, text: edit.value, order: order++ });
        }
      } else if (scan && scan.lastHeaderLine > 0) {
        const at = Math.min(scan.insertAt, text.length);
        // Inserting after a last line that has no newline: the newline goes first, keeping "no final newline".
        const open = at === text.length && !endsWithNewline(text);
        const line = `${edit.key} = ${edit.value}`;
        splices.push({ at, end: at, text: open ? `${eol}${line}` : `${line}${eol}`, order: order++ });
      } else {
        const lines = appended.get(edit.profile) ?? [];
        lines.push(`${edit.key} = ${edit.value}`);
        appended.set(edit.profile, lines);
      }
    }
    let tail = '';
    for (const [profile, lines] of appended) {
      tail += `${this.#headerFor(profile)}${eol}${lines.join(eol)}${eol}`;
    }
    if (tail !== '') {
      splices.push({ at: text.length, end: text.length, text: appendLead(text) + tail, order: order++ });
    }
    if (splices.length === 0) return;
    this.#pending = splices;
    this.#splices = this.#version === 0 ? splices : null;
    this.#version += 1;
  }

  /**
   * Removes every line that sets one of `keys` in any section the SDK could read `profile` from (earlier
   * duplicates too: a removed secret must not linger in a shadowed line). Returns how many lines went.
   */
  removeProfileKeys(profile: string, keys: readonly string[]): number {
    const names = new Set(this.#candidates(profile));
    const drop = new Set(keys);
    const text = this.#text;
    const splices: Splice[] = [];
    scanWantedSections(text, names, {
      entry(section, key, valueStart, _valueEnd, _line, next) {
        if (!names.has(section) || !drop.has(key)) return;
        const start = text.lastIndexOf('\n', valueStart - 1) + 1;
        splices.push({ at: start, end: Math.min(next, text.length), text: '', order: splices.length });
      },
    });
    if (splices.length === 0) return 0;
    this.#pending = splices;
    this.#splices = this.#version === 0 ? splices : null;
    this.#version += 1;
    return splices.length;
  }

  /** Whether the file has a header of `profile` (an empty one too). */
  hasProfileHeader(profile: string): boolean {
    const { sections } = this.#scanSections(this.#candidates(profile));
    return this.#candidates(profile).some((name) => (sections.get(name)?.lastHeaderLine ?? 0) > 0);
  }

  /**
   * Removes the header of `profile` when it is the profile's only header and its section holds nothing
   * but blank lines, with `lead` right before it (what appendLead gave when `create` appended it).
   * Returns whether it went.
   */
  removeEmptyProfileSection(profile: string, lead = ''): boolean {
    const names = new Set(this.#candidates(profile));
    const text = this.#text;
    const headers: { section: string | undefined; start: number; next: number }[] = [];
    scanSharedText(text, {
      header(section, _line, next) {
        headers.push({ section, start: text.lastIndexOf('\n', next - 2) + 1, next });
      },
    });
    const own = headers.filter((header) => header.section !== undefined && names.has(header.section));
    if (own.length !== 1) return false;
    const header = own[0]!;
    const end = headers[headers.indexOf(header) + 1]?.start ?? text.length;
    if (text.slice(header.next, end).trim() !== '') return false;
    // The lead goes only when it is the one an append to the text before it would have put there.
    const before = text.slice(0, header.start);
    const rest = before.slice(0, before.length - lead.length);
    const at = before.endsWith(lead) && appendLead(rest) === lead ? rest.length : header.start;
    this.#pending = [{ at, end: header.next, text: '', order: 0 }];
    this.#splices = this.#version === 0 ? this.#pending : null;
    this.#version += 1;
    return true;
  }

  // The internal section names that can hold the SDK profile `profile` in this file.
  #candidates(profile: string): string[] {
    if (this.kind === 'credentials') return [profile];
    const names = [`profile.${profile}`];
    const dot = profile.indexOf('.');
    if (dot > 0 && SECTION_PREFIXES.includes(profile.slice(0, dot)) && profile.slice(0, dot) !== 'profile') {
      names.push(profile);
    }
    if (profile === 'default') names.push('default');
    return names;
  }

  // The section the SDK reads the profile from: mirrors parseIni's object and getConfigData's overriding.
  #effective(profile: string, sections: Map<string, SectionScan>): string | undefined {
    const stored = (name: string) => (sections.get(name)?.firstStored ?? 0) > 0;
    if (this.kind === 'credentials') {
      return stored(profile) && !isShadowedName(profile) ? profile : undefined;
    }
    if (profile === '__proto__') return undefined;
    let best: string | undefined;
    for (const name of this.#candidates(profile)) {
      if (name === 'default' || !stored(name)) continue;
      if (
        best === undefined ||
        (sections.get(name) as SectionScan).firstStored > (sections.get(best) as SectionScan).firstStored
      ) {
        best = name;
      }
    }
    if (best === undefined && profile === 'default' && stored('default')) best = 'default';
    return best;
  }

  // For `create`: an existing (empty) header of the profile, else undefined (a new section is appended).
  #createTarget(
    profile: string,
    sections: Map<string, SectionScan>,
    options: { create?: boolean },
  ): string | undefined {
    if (!options.create) {
      throw new KeyrotError('PROFILE_NOT_FOUND', `No profile "${profile}" in this ${this.kind} file.`, {
        file: this.file,
        hint: 'Check the profile name (in the config file it is written [profile NAME]).',
      });
    }
    this.#headerFor(profile); // throws when the name cannot be written
    const preferred =
      this.kind === 'config' && profile === 'default'
        ? ['default', 'profile.default']
        : this.#candidates(profile);
    return preferred.find((name) => (sections.get(name)?.lastHeaderLine ?? 0) > 0);
  }

  // The header line that opens `profile`, checked to read back as that profile.
  #headerFor(profile: string): string {
    const header = this.kind === 'config' && profile !== 'default' ? `[profile ${profile}]` : `[${profile}]`;
    const inner = header.slice(1, -1);
    const internal = /[\r\n]/.test(profile) ? undefined : sectionNameOf(inner);
    const readsBack =
      internal !== undefined &&
      header.trim() === header &&
      !/(^|\s)[;#]/.test(header) &&
      !['__proto__', 'profile __proto__'].includes(inner) &&
      (this.kind === 'credentials'
        ? internal === profile && !isShadowedName(profile)
        : configKeyOf(internal) === profile && profile !== '__proto__');
    if (!readsBack) {
      throw new KeyrotError(
        'USAGE',
        `The profile name "${profile}" cannot be written as a section the SDK reads back.`,
        {
          file: this.file,
        },
      );
    }
    return header;
  }

  #checkWritable(edit: ProfileEdit): void {
    if (!isWritableKey(edit.key)) {
      throw new KeyrotError('USAGE', `"${edit.key}" is not a key name keyrot can write.`, {
        file: this.file,
      });
    }
    const reason = unwritableValueReason(edit.value);
    if (reason !== null) {
      throw new KeyrotError(
        'USAGE',
        `Cannot write the value of ${edit.key} for profile "${edit.profile}": ${reason}.`,
        {
          file: this.file,
        },
      );
    }
  }

  // One pass collecting, for the wanted internal sections only, their last header, keys and insertion point.
  #scanSections(wanted: Iterable<string>): {
    sections: Map<string, SectionScan>;
    blocked: number | undefined;
  } {
    const names = new Set(wanted);
    const cacheKey = [...names].sort().join('\u0000');
    if (this.#cache && this.#cache.version === this.#version && this.#cache.key === cacheKey)
      return this.#cache;
    const sections = new Map<string, SectionScan>();
    let current: SectionScan | undefined;
    const result = scanWantedSections(this.#text, names, {
      header(section, line, next) {
        current = undefined;
        if (section === undefined || !names.has(section)) return;
        current = sections.get(section);
        if (!current) {
          current = { firstStored: 0, lastHeaderLine: 0, insertAt: 0, entries: new Map() };
          sections.set(section, current);
        }
        current.lastHeaderLine = line;
        current.insertAt = next;
      },
      entry(_section, key, valueStart, valueEnd, line, next) {
        if (!current) return;
        if (current.firstStored === 0) current.firstStored = line;
        current.entries.set(key, { valueStart, valueEnd, line });
        current.insertAt = next;
      },
      opener(_section, _line, next) {
        if (current) current.insertAt = next;
      },
    });
    this.#cache = { version: this.#version, key: cacheKey, sections, blocked: result.blockedLine };
    return this.#cache;
  }
}

/** The newline style of a text: that of its first line ending, LF when it has none. */
export function newlineOf(text: string): '\n' | '\r\n' {
  const lf = text.indexOf('\n');
  return lf > 0 && text.charCodeAt(lf - 1) === 13 ? '\r\n' : '\n';
}

/**
 * What goes before a section appended to `text`: a newline ending an unterminated last line, and a blank
 * line after a non-blank one.
 */
export function appendLead(text: string): string {
  if (text.length === 0) return '';
  const eol = newlineOf(text);
  let lead = endsWithNewline(text) ? '' : eol;
  const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
  if (lastLine.trim() !== '') lead += eol;
  return lead;
}

function endsWithNewline(text: string): boolean {
  return text.endsWith('\n');
}

// Applies non-overlapping splices from the end so earlier offsets stay valid; equal offsets keep edit order.
function applySplices(text: string, splices: Splice[]): string {
  if (splices.length === 0) return text;
  const sorted = [...splices].sort((a, b) => b.at - a.at || b.order - a.order);
  let out = text;
  for (const splice of sorted) out = out.slice(0, splice.at) + splice.text + out.slice(splice.end);
  return out;
}
