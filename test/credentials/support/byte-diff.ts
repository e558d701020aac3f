/** The one contiguous region where two byte strings differ: [start, oldEnd) in `before`, [start, newEnd) in `after`. */
export function byteDiff(
  before: Buffer,
  after: Buffer,
): { start: number; oldBytes: string; newBytes: string } | null {
  if (before.equals(after)) return null;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let tail = 0;
  while (
    tail < before.length - start &&
    tail < after.length - start &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  ) {
    tail += 1;
  }
  return {
    start,
    oldBytes: before.subarray(start, before.length - tail).toString('utf8'),
    newBytes: after.subarray(start, after.length - tail).toString('utf8'),
  };
}

/** Every region where two texts of the same line count differ, line by line (for multi-value edits). */
export function changedLines(
  before: string,
  after: string,
): { line: number; before: string; after: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const out: { line: number; before: string; after: string }[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if (a[i] !== b[i]) out.push({ line: i + 1, before: a[i] ?? '', after: b[i] ?? '' });
  }
  return out;
}
