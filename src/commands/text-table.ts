// Plain-text tables for the commands that list profiles (`status`, `setup`).

/** Columns padded to their widest cell, two spaces apart, one line per row after the head. */
export function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return line(head) + body.map(line).join('');
}

/** "1 active, 1 inactive": a user's keys in a table cell. */
export function keysSummary(keys: { status: string }[]): string {
  const active = keys.filter((k) => k.status === 'Active').length;
  return `${active} active, ${keys.length - active} inactive`;
}
