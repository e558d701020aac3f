import { KeyrotError } from '../errors/keyrot-error.js';
import type { SharedFileDocument } from './document.js';

/**
 * The edited file's bytes as chunks: the original bytes around the edited values (no copy of the whole file),
 * computed from the document's splices over `text` (the UTF-8 decoding of `base`). A file that is not valid
 * UTF-8 (a Latin-1 comment, binary garbage) keeps its undecodable bytes as they are; only a splice on a line
 * that itself does not decode exactly is refused (FILE_INVALID naming the line), since its bytes are unknown.
 */
export function outputBytes(base: Buffer, text: string, doc: SharedFileDocument, file?: string): Buffer[] {
  // Without U+FFFD every byte sequence was valid UTF-8, so text offsets map to bytes by encoded length.
  const exact = !text.includes('\uFFFD') || Buffer.from(text, 'utf8').equals(base);
  const splices = doc.splicesSinceParse();
  if (splices === null) {
    if (!exact) throw notUtf8(file, undefined);
    return [Buffer.from(doc.toString(), 'utf8')];
  }
  const chunks: Buffer[] = [];
  let byte = 0;
  let char = 0;
  for (const splice of splices) {
    const start = exact
      ? byte + Buffer.byteLength(text.slice(char, splice.at), 'utf8')
      : byteOffsetInExactLine(base, text, splice.at, file);
    const end = exact
      ? start + Buffer.byteLength(text.slice(splice.at, splice.end), 'utf8')
      : byteOffsetInExactLine(base, text, splice.end, file);
    chunks.push(base.subarray(byte, start), Buffer.from(splice.text, 'utf8'));
    byte = end;
    char = splice.end;
  }
  chunks.push(base.subarray(byte));
  return chunks;
}

// The byte offset of text position `at`, found through its line: LF bytes and LF characters correspond one to
// one (a UTF-8 decoder never swallows an ASCII byte into a replacement character), and the line must decode
// to exactly its bytes.
function byteOffsetInExactLine(base: Buffer, text: string, at: number, file: string | undefined): number {
  const lineStart = at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1;
  let lineIndex = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < lineStart; i = text.indexOf('\n', i + 1)) lineIndex += 1;
  let byteStart = 0;
  for (let n = 0; n < lineIndex; n += 1) byteStart = base.indexOf(10, byteStart) + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const byteEnd = lineEnd === -1 ? base.length : base.indexOf(10, byteStart);
  const lineText = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  if (byteEnd === -1 || !Buffer.from(lineText, 'utf8').equals(base.subarray(byteStart, byteEnd))) {
    throw notUtf8(file, lineIndex + 1);
  }
  return byteStart + Buffer.byteLength(text.slice(lineStart, at), 'utf8');
}

function notUtf8(file: string | undefined, line: number | undefined): KeyrotError {
  const where = line === undefined ? '' : ` on line ${line}`;
  return new KeyrotError(
    'FILE_INVALID',
    `${file ?? 'The file'} has bytes that are not UTF-8${where}; keyrot will not rewrite them.`,
    {
      file,
      line,
      hint: 'Save the file as UTF-8 (the AWS tools expect it), then try again.',
    },
  );
}
