import type { SharedFileDocument } from './document.js';

/**
 * The edited file's bytes as chunks: the original bytes around the edited values (no copy of the whole
 * file) when the document holds one batch of splices over `text`, which must decode exactly from `base`;
 * otherwise the whole text encoded as UTF-8.
 */
export function outputBytes(base: Buffer, text: string, doc: SharedFileDocument): Buffer[] {
  const splices = doc.splicesSinceParse();
  if (splices === null) return [Buffer.from(doc.toString(), 'utf8')];
  const chunks: Buffer[] = [];
  let byte = 0;
  let char = 0;
  for (const splice of splices) {
    const start = byte + Buffer.byteLength(text.slice(char, splice.at), 'utf8');
    chunks.push(base.subarray(byte, start), Buffer.from(splice.text, 'utf8'));
    byte = start + Buffer.byteLength(text.slice(splice.at, splice.end), 'utf8');
    char = splice.end;
  }
  chunks.push(base.subarray(byte));
  return chunks;
}
