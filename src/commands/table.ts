// Renders rows as an aligned plain-text table (numbers right-aligned). Loops, not spreads: a
// predict table has as many rows as its input (Math.max(...rows) overflows the stack near 150 000).
const NUMERIC = /^-?[\d.e+-]+$|^-$/;

/** The table's lines one at a time (header, rule, rows), so a long table can be printed as it goes. */
export function* renderTableLines(header: string[], rows: string[][]): Generator<string> {
  const widths = header.map((h) => h.length);
  const numeric = header.map(() => rows.length > 0);
  for (const row of rows) {
    for (let i = 0; i < header.length; i++) {
      const cell = row[i] ?? '';
      if (cell.length > widths[i]!) widths[i] = cell.length;
      if (numeric[i] && !NUMERIC.test(cell)) numeric[i] = false;
    }
  }
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  yield line(header);
  yield line(widths.map((w) => '─'.repeat(w)));
  for (const row of rows) yield line(row);
}

export function renderTable(header: string[], rows: string[][]): string {
  return [...renderTableLines(header, rows)].join('\n');
}
