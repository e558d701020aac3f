// Where the AWS CLI (aws-cli-reader.ts) and the JS SDK (grammar.ts, which keyrot follows) read one shared
// file differently: each place with its line, which reader is affected and how to write it so both agree.
// Values are compared but never quoted: they may be secrets.
import { realFs } from '../fs/fs-port.js';
import {
  type AwsCliFailure,
  type AwsCliOption,
  type AwsCliProfile,
  type AwsCliSectionKind,
  awsCliNamedSections,
  awsCliProfiles,
  readAsAwsCli,
} from './aws-cli-reader.js';
import { type ProfileValues, parseSharedFile } from './document.js';
import { configKeyOf, type FileKind, headerAt, scanSharedText, sectionNameOf } from './grammar.js';
import type { AwsFilePaths } from './paths.js';
import { type CredentialsDeps, readSharedFileBytes } from './read.js';

/** How a place affects the readers. */
export type ReaderEffect =
  /** The AWS CLI cannot read the file: every `aws` command fails ("Unable to parse config file"). */
  | 'aws-cli-fails'
  /** The SDK (and keyrot) read the file as empty. */
  | 'sdk-fails'
  /** Both read the key, with different values. */
  | 'aws-cli-reads-other-value'
  /** Only the AWS CLI reads the key or profile. */
  | 'aws-cli-only'
  /** Only the SDK (and keyrot) read the key or profile. */
  | 'sdk-only';

/** One place the two readers read differently. */
export interface ReaderDifference {
  file: string;
  /** 1-based line, counted by LF. */
  line: number;
  effect: ReaderEffect;
  /** The profiles it affects; empty when it affects the whole file. */
  profiles: string[];
  /** The keys it affects (names only). */
  keys: string[];
  /** What happens, naming the readers. */
  problem: string;
  /** How to write it so that both readers agree. */
  fix: string;
}

// Why a key or profile reads differently, found from the AWS CLI's side of the place.
type Cause =
  | { kind: 'inherited'; defaultLine: number }
  | { kind: 'continuation'; ownerLine: number; ownerKey: string }
  | { kind: 'inline-comment' }
  | { kind: 'colon' }
  | { kind: 'key-case'; written: string }
  | { kind: 'other-section'; cliLine: number; sdkLine: number }
  | { kind: 'line-in-other-profile'; cliProfile?: string; sdkProfile?: string }
  | { kind: 'default-section' }
  | { kind: 'header-form' }
  | { kind: 'header-text-after' }
  | { kind: 'lone-cr' }
  | { kind: 'odd-space' }
  | { kind: 'unknown' };

interface Place {
  line: number;
  effect: ReaderEffect;
  cause: Cause;
  profiles: Set<string>;
  keys: Set<string>;
}

const FAILURES: Record<AwsCliFailure, { problem: string; fix: string }> = {
  bom: {
    problem: 'the file starts with a UTF-8 byte order mark (BOM)',
    fix: 'save the file as UTF-8 without a BOM',
  },
  'invalid-utf8': {
    problem: 'the line holds bytes that are not UTF-8 (the SDK reads them as U+FFFD)',
    fix: 'save the file as UTF-8, or remove those characters',
  },
  'duplicate-section': {
    problem: 'a section header repeats one above it (the SDK merges the two sections)',
    fix: 'merge the two sections into one',
  },
  'duplicate-option': {
    problem: 'a key repeats in its section, in any letter case (the SDK takes the last one)',
    fix: 'keep one line of that key in the section',
  },
  'line-before-section': {
    problem: 'the line comes before any [section] header (the SDK ignores it)',
    fix: 'remove the line, move it under its section, or make it a comment starting with #',
  },
  'line-without-delimiter': {
    problem: 'the line is neither a [section], a comment nor `key = value` (the SDK ignores it)',
    fix: 'remove the line or make it a comment starting with #',
  },
  'sub-section-line-without-equals': {
    problem: 'an indented line under this key has no `=` (the SDK ignores that line)',
    fix: 'write each indented line as `key = value`, or remove it',
  },
};

// The config file's sections besides profiles that both readers read by name (keys as the SDK names them).
const NAMED_SECTIONS: readonly AwsCliSectionKind[] = ['sso-session', 'services'];

const CLI_FAILS =
  'the AWS CLI cannot read this file (every aws command fails with "Unable to parse config file")';

/** The places where the AWS CLI and the SDK read a file (its bytes, of the given kind) differently, in line order. */
export function readerDifferences(bytes: Uint8Array, kind: FileKind, file: string): ReaderDifference[] {
  const out: ReaderDifference[] = [];
  const cli = readAsAwsCli(bytes);
  const doc = parseSharedFile(Buffer.from(bytes).toString('utf8'), kind, { file });
  const blocked = doc.blockedLine();
  if (blocked !== undefined) {
    out.push({
      file,
      line: blocked,
      effect: 'sdk-fails',
      profiles: [],
      keys: [],
      problem: 'a [__proto__] section: the SDK (and keyrot) read this file as empty; the AWS CLI reads it',
      fix: 'rename or remove that section',
    });
  }
  if (!cli.ok) {
    const { problem, fix } = FAILURES[cli.failure];
    out.push({
      file,
      line: cli.line,
      effect: 'aws-cli-fails',
      profiles: [],
      keys: [],
      problem: `${problem}: ${CLI_FAILS}`,
      fix,
    });
  }
  if (!cli.ok || blocked !== undefined) return out.sort((a, b) => a.line - b.line);
  const text = doc.toString();
  const lines = text.split('\n');
  const places = new Map<string, Place>();
  const note = (line: number, effect: ReaderEffect, found: Cause, profile: string, key?: string) => {
    // A CR that does not end the line ends one for the AWS CLI only: whatever else differs there follows.
    const cause: Cause = /\r(?!$)/.test(lines[line - 1] ?? '') ? { kind: 'lone-cr' } : found;
    const id = `${line}\u0000${effect}\u0000${cause.kind}`;
    let place = places.get(id);
    if (!place) {
      place = { line, effect, cause, profiles: new Set(), keys: new Set() };
      places.set(id, place);
    }
    place.profiles.add(profile);
    if (key !== undefined) place.keys.add(key);
  };
  const sdkProfiles = doc.profiles();
  // The SDK's sections by its names: profiles, and in the config file `sso-session.NAME`, `services.NAME`.
  const cliProfiles = awsCliProfiles(cli, kind);
  if (kind === 'config') {
    for (const section of NAMED_SECTIONS)
      for (const [name, read] of awsCliNamedSections(cli, section))
        cliProfiles.set(`${section}.${name}`, read);
  }
  const names = new Set([...sdkProfiles.keys(), ...cliProfiles.keys()]);
  // Which profile each reader reads a key line in (a line read in two profiles explains both sides), and
  // which lines the AWS CLI joins to a value above: built once, when a difference first needs them.
  let owners:
    | { sdk: Map<number, string>; cli: Map<number, string>; continued: Map<number, Cause> }
    | undefined;
  const lineFacts = () => {
    if (owners) return owners;
    owners = { sdk: new Map(), cli: new Map(), continued: new Map() };
    const { sdk: sdkOwner, cli: cliOwner, continued } = owners;
    scanSharedText(text, {
      entry(section, _key, _start, _end, line) {
        const name = kind === 'credentials' ? section : configKeyOf(section);
        if (name !== null) sdkOwner.set(line, name);
      },
    });
    for (const [name, { section }] of cliProfiles) {
      for (const [key, option] of section.options) {
        cliOwner.set(option.line, name);
        for (const line of option.continuationLines) {
          continued.set(line, { kind: 'continuation', ownerLine: option.line, ownerKey: key });
        }
      }
    }
    return owners;
  };
  const otherProfile = (line: number, profile: string): Cause | undefined => {
    const cliProfile = lineFacts().cli.get(line);
    const sdkProfile = lineFacts().sdk.get(line);
    return cliProfile !== sdkProfile && (cliProfile === profile || sdkProfile === profile)
      ? { kind: 'line-in-other-profile', cliProfile, sdkProfile }
      : undefined;
  };
  const continuationOf = (line: number) => lineFacts().continued.get(line);
  for (const profile of names) {
    const sdk = sdkProfiles.get(profile);
    const fromCli = cliProfiles.get(profile);
    // The common case, and the only one on a large file that reads alike: nothing to locate.
    if (sdk && fromCli && sameValues(sdk, fromCli)) continue;
    if (!fromCli) {
      const line = doc.locateProfile(profile)?.headerLine ?? 0;
      const cause: Cause =
        kind === 'credentials' && profile === 'DEFAULT'
          ? { kind: 'default-section' }
          : (continuationOf(line) ?? { kind: 'header-form' });
      note(line, 'sdk-only', cause, profile);
      continue;
    }
    // A header both read as this profile, whose lines the SDK does not store (`k: v`, `k = # note`): the
    // keys differ, not the profile.
    const sdkHeader = headerAt(text, lineStart(text, fromCli.section.headerLine))?.section;
    const sameHeader =
      sdkHeader !== undefined && (kind === 'credentials' ? sdkHeader : configKeyOf(sdkHeader)) === profile;
    const located =
      (sdk ? doc.locateProfile(profile) : undefined) ??
      (sameHeader
        ? {
            section: sdkHeader,
            headerLine: fromCli.section.headerLine,
            keys: new Map<string, { line: number }>(),
          }
        : undefined);
    if (!located && fromCli.values.size === 0) continue;
    if (!located) {
      const header = lines[fromCli.section.headerLine - 1] ?? '';
      const after = header.slice(header.lastIndexOf(']') + 1).trim();
      const cause: Cause =
        after !== '' && !/^[#;]/.test(after) ? { kind: 'header-text-after' } : { kind: 'header-form' };
      note(fromCli.section.headerLine, 'aws-cli-only', cause, profile);
      continue;
    }
    if (kind === 'config' && sectionNameOf(fromCli.section.name) !== located.section) {
      note(
        fromCli.section.headerLine,
        'aws-cli-reads-other-value',
        {
          kind: 'other-section',
          cliLine: fromCli.section.headerLine,
          sdkLine: located.headerLine,
        },
        profile,
      );
      continue;
    }
    const sdkValues = sdk ?? {};
    for (const key of new Set([...Object.keys(sdkValues), ...fromCli.values.keys()])) {
      const sdkValue = sdkValues[key];
      const cliValue = fromCli.values.get(key);
      if (sdkValue === cliValue?.value) continue;
      if (cliValue) {
        const effect = sdkValue === undefined ? 'aws-cli-only' : 'aws-cli-reads-other-value';
        const { option } = cliValue;
        const cause =
          sdkValue !== undefined && trimOddSpace(sdkValue) === trimOddSpace(cliValue.value)
            ? { kind: 'odd-space' as const }
            : causeAt(option, key, cli.defaultLine);
        const line = cause.kind === 'continuation' ? (option.continuationLines[0] as number) : option.line;
        note(line, effect, (cause.kind === 'unknown' && otherProfile(line, profile)) || cause, profile, key);
      } else {
        const line = located.keys.get(key)?.line ?? located.headerLine;
        const lower = fromCli.values.get(key.toLowerCase());
        const cause: Cause =
          lower && lower.option.line === line
            ? { kind: 'key-case', written: key }
            : (continuationOf(line) ?? otherProfile(line, profile) ?? { kind: 'unknown' });
        note(line, 'sdk-only', cause, profile, key);
      }
    }
  }
  for (const place of places.values()) out.push(describePlace(file, kind, place));
  return out.sort((a, b) => a.line - b.line);
}

/** Both AWS files' reader differences (a missing file has none); unreadable files are FILE_UNREADABLE. */
export async function readFilesReaderDifferences(
  paths: AwsFilePaths,
  deps: Pick<CredentialsDeps, 'fs'> = {},
): Promise<ReaderDifference[]> {
  const fs = deps.fs ?? realFs;
  const out: ReaderDifference[] = [];
  for (const [file, kind] of [
    [paths.credentialsFile, 'credentials'],
    [paths.configFile, 'config'],
  ] as const) {
    const bytes = await readSharedFileBytes(fs, file);
    if (bytes !== null) out.push(...readerDifferences(bytes, kind, file));
  }
  return out;
}

/** How a difference's `profiles` entry reads in a message: `profile x`, or `[sso-session x]`, `[services x]`. */
export function readerSectionLabel(name: string): string {
  const named = NAMED_SECTIONS.find((section) => name.startsWith(`${section}.`));
  return named ? `[${named} ${name.slice(named.length + 1)}]` : `profile ${name}`;
}

/** The differences that touch `profile` (those of a whole file included). */
export function differencesOfProfile(differences: ReaderDifference[], profile: string): ReaderDifference[] {
  return differences.filter((d) => d.profiles.length === 0 || d.profiles.includes(profile));
}

const EFFECT_WORDS: Record<ReaderEffect, (keys: string) => string> = {
  'aws-cli-fails': () => 'the AWS CLI cannot read the file',
  'sdk-fails': () => 'the SDK reads the file as empty',
  'aws-cli-reads-other-value': (keys) => `the AWS CLI reads another value of ${keys}`,
  'aws-cli-only': (keys) => `only the AWS CLI reads ${keys}`,
  'sdk-only': (keys) => `the AWS CLI does not read ${keys}`,
};

/**
 * One warning naming every place where the AWS CLI reads `profile` differently from the SDK (and keyrot),
 * or undefined when it reads it alike.
 */
export function profileReaderWarning(differences: ReaderDifference[], profile: string): string | undefined {
  const places = differencesOfProfile(differences, profile);
  if (places.length === 0) return undefined;
  const where = places
    .map((place) => {
      const keys = place.keys.length > 0 ? place.keys.join(', ') : 'the profile';
      return `${place.file}:${place.line} (${EFFECT_WORDS[place.effect](keys)})`;
    })
    .join('; ');
  return `the AWS CLI does not read profile ${profile} as keyrot does: ${where}; \`keyrot doctor\` says how to fix each place`;
}

// Why the AWS CLI's reading of `option` differs from the SDK's.
function causeAt(option: AwsCliOption, key: string, defaultLine: number | undefined): Cause {
  if (option.inherited && defaultLine !== undefined) return { kind: 'inherited', defaultLine };
  if (option.continuationLines.length > 0 && typeof option.value === 'string') {
    return { kind: 'continuation', ownerLine: option.line, ownerKey: key };
  }
  if (/(^|\s)[#;]/.test(option.ownValue)) return { kind: 'inline-comment' };
  if (option.delimiter === ':') return { kind: 'colon' };
  if (option.writtenName !== option.writtenName.toLowerCase())
    return { kind: 'key-case', written: option.writtenName };
  return { kind: 'unknown' };
}

// Without the white space only one of the readers trims (FS GS RS US and NEL for Python, the BOM for JS).
function trimOddSpace(value: string): string {
  return value.replace(/^[\x1c-\x1f\x85\ufeff]+|[\x1c-\x1f\x85\ufeff]+$/gu, '');
}

// The offset where 1-based line `line` starts (LF-counted).
function lineStart(text: string, line: number): number {
  let at = 0;
  for (let n = 1; n < line && at !== -1; n += 1) {
    at = text.indexOf('\n', at);
    if (at !== -1) at += 1;
  }
  return Math.max(at, 0);
}

// Whether both readers read the same keys with the same values.
function sameValues(sdk: ProfileValues, cli: AwsCliProfile): boolean {
  const keys = Object.keys(sdk);
  return keys.length === cli.values.size && keys.every((key) => cli.values.get(key)?.value === sdk[key]);
}

function describePlace(file: string, kind: FileKind, place: Place): ReaderDifference {
  const keys = [...place.keys];
  const profiles = [...place.profiles];
  const what = keys.length > 0 ? keys.join(', ') : profiles.map(readerSectionLabel).join(', ');
  const readers: Record<ReaderEffect, string> = {
    'aws-cli-fails': CLI_FAILS,
    'sdk-fails': 'the SDK reads this file as empty',
    'aws-cli-reads-other-value': `the AWS CLI reads another value of ${what} than the SDK (and keyrot)`,
    'aws-cli-only': `the AWS CLI reads ${what}, the SDK (and keyrot) do not`,
    'sdk-only': `the SDK (and keyrot) read ${what}, the AWS CLI does not`,
  };
  const named = NAMED_SECTIONS.find((section) => profiles[0]?.startsWith(`${section}.`));
  const word = named ?? 'profile';
  const header =
    kind === 'credentials' ? '[NAME]' : named ? `[${named} NAME]` : '[profile NAME] (or [default])';
  const { cause } = place;
  let why: string;
  let fix: string;
  switch (cause.kind) {
    case 'inherited':
      why = `the [DEFAULT] section (line ${cause.defaultLine}) gives its keys to every section in the AWS CLI; the SDK reads it as a profile named DEFAULT`;
      fix = 'move these keys into the profiles that need them and remove the [DEFAULT] section';
      break;
    case 'default-section':
      why =
        'the SDK reads [DEFAULT] as a profile named DEFAULT, the AWS CLI gives its keys to every section instead';
      fix = 'remove the [DEFAULT] section, or move its keys into the profiles that need them';
      break;
    case 'line-in-other-profile':
      why = `the AWS CLI reads this line in ${cause.cliProfile === undefined ? 'no profile' : `profile ${cause.cliProfile}`}, the SDK in ${cause.sdkProfile === undefined ? 'no profile' : `profile ${cause.sdkProfile}`}`;
      fix =
        'check the section headers above this line: each alone on its line, not indented, nothing after ]';
      break;
    case 'continuation':
      why = `this line is indented deeper than ${cause.ownerKey} on line ${cause.ownerLine}: the AWS CLI reads it as part of that value, the SDK as a line of its own`;
      fix = 'remove the indentation of this line';
      break;
    case 'inline-comment':
      why =
        'a comment follows the value: the AWS CLI reads the comment as part of the value, the SDK drops it';
      fix = 'put the comment on a line of its own';
      break;
    case 'colon':
      why = 'the key is written `key: value`: the AWS CLI accepts `:`, the SDK only `=`';
      fix = 'write it as `key = value`';
      break;
    case 'key-case':
      why = `the key is written ${cause.written}: the AWS CLI reads key names in any letter case, the SDK only as written`;
      fix = `write the key name in lower case (${cause.written.toLowerCase()})`;
      break;
    case 'other-section':
      why = `two sections name this profile: the AWS CLI reads the one on line ${cause.cliLine}, the SDK the one on line ${cause.sdkLine}`;
      fix = `keep one section for the profile, written ${header}`;
      break;
    case 'header-text-after':
      why =
        'text follows the closing ] of the header: the AWS CLI ignores it, the SDK does not read the line as a header';
      fix = 'remove the text after ] (or make it a comment: ] # ...)';
      break;
    case 'lone-cr':
      why =
        'the line holds a carriage return (CR) that does not end it: the AWS CLI starts a new line there, the SDK does not';
      fix = 'save the file with LF or CRLF line endings';
      break;
    case 'odd-space':
      why =
        'the value starts or ends with a control or BOM character that one reader trims as white space and the other keeps';
      fix = 'remove that character';
      break;
    case 'header-form':
      why =
        place.effect === 'sdk-only'
          ? `the SDK reads this header as the ${named ? 'section' : 'profile'}, the AWS CLI does not`
          : `the AWS CLI reads this header as the ${named ? 'section' : 'profile'}, the SDK does not`;
      fix = `write the header as ${header}${kind === 'config' ? `, one space after "${word}", no quotes` : ''}, the name of letters, digits and - _ . @ + % : /`;
      break;
    default:
      why = 'the two readers read this line differently';
      fix = 'write the line as `key = value` with nothing after the value, not indented';
  }
  return {
    file,
    line: place.line,
    effect: place.effect,
    profiles,
    keys,
    problem: `${readers[place.effect]}: ${why}`,
    fix,
  };
}
