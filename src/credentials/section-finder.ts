// Finding a few sections in a large file without walking every line: a header can only name a section if
// its text contains that name literally, so the scan jumps between occurrences of the names (native
// indexOf), reads the header at each, and walks line by line only inside the wanted sections.
import {
  countNewlines,
  headerAt,
  type ScanResult,
  type ScanVisitor,
  SECTION_PREFIXES,
  scanSharedText,
} from './grammar.js';

// The text every header of section `name` contains: `profile.x` is written `[profile x]`, `[profile "x"]`
// or `[profile.x]`, all containing `x`; any other name is written as itself.
function needleOf(name: string): string {
  const dot = name.indexOf('.');
  return dot > 0 && SECTION_PREFIXES.includes(name.slice(0, dot)) ? name.slice(dot + 1) : name;
}

/**
 * Reports to `visitor` exactly what scanSharedText reports for the wanted sections (their headers, entries
 * and sub-section openers, in file order), visiting only lines near occurrences of their names. Falls back to
 * the full scan when a `__proto__` header could be present (it invalidates the whole file).
 */
export function scanWantedSections(
  text: string,
  names: ReadonlySet<string>,
  visitor: ScanVisitor,
): ScanResult {
  const wanted = (section: string | undefined) => section !== undefined && names.has(section);
  const needles = [...names].map(needleOf);
  if (needles.some((needle) => needle.length === 0) || text.includes('__proto__')) {
    return scanSharedText(text, visitor, wanted);
  }
  const starts = new Set<number>();
  for (const needle of needles) {
    for (let hit = text.indexOf(needle); hit !== -1; hit = text.indexOf(needle, hit + 1)) {
      starts.add(hit === 0 ? 0 : text.lastIndexOf('\n', hit - 1) + 1);
    }
  }
  let line = 1;
  let at = 0;
  let covered = 0;
  for (const start of [...starts].sort((a, b) => a - b)) {
    if (start < covered) continue;
    const header = headerAt(text, start);
    if (header === null || !wanted(header.section)) continue;
    line += countNewlines(text, at, start);
    // Walk the section (and any wanted sections right after it) until a header of another section.
    const result = scanSharedText(text, visitor, wanted, {
      from: start,
      fromLine: line,
      stopAtUnwanted: true,
    });
    covered = result.stoppedAt;
    at = Math.min(result.stoppedAt, text.length);
    line = result.stoppedLine;
  }
  return { stoppedAt: text.length + 1, stoppedLine: line };
}
