// Reads predict's input from a data file in any format a sweep's data may be in: TSV and JSON
// Lines through the sweep's own text reader, Parquet and Arrow IPC through its columnar reader
// (csv.ts reads CSV, and stdin). The refusals are a sweep's data refusals: the file, the line or
// row, and the column. Only the columns predict needs are read; the others may hold anything.
import { readBinaryTable, isBinaryFormat } from '../data/binary-table.js';
import { readTableInto, scanTable, type TableFormat } from '../data/read-table.js';
import { ArtifactError } from './load.js';
import { requireColumns, type InputRows, type InputVariable } from './csv.js';

/** The rows of `path` (a TSV, JSON Lines, Parquet or Arrow file; `source` as the user wrote it) for `variables`. */
export async function readInputTable(path: string, source: string, format: Exclude<TableFormat, 'csv'>, variables: readonly InputVariable[]): Promise<InputRows> {
  if (isBinaryFormat(format)) {
    const table = await readBinaryTable(path, source, format, variables.map((v) => v.name));
    requireColumns(source, table.header, variables);
    for (const { name } of variables) {
      const why = table.problems.get(name);
      if (why) throw new ArtifactError(`${source}: ${why}`);
    }
    const n = table.rows;
    if (n === 0) throw new ArtifactError(`${source}: no rows`);
    return { n, columns: filled(variables, n, (name) => table.columns.get(name)), lines: Array.from({ length: n }, (_, i) => i + 1), unit: 'row' };
  }
  const scan = scanTable(path, source, format);
  // The header line (JSON Lines: the first object's keys).
  requireColumns(`${source}:1`, scan.header, variables);
  const n = scan.rows;
  if (n === 0) throw new ArtifactError(`${source}: no data rows after the header`);
  const into = new Map(variables.filter((v) => scan.header.includes(v.name)).map((v) => [v.name, new Float64Array(n)]));
  const lines = readTableInto(path, source, format, scan.header, into, 0, n, scan.identity.sha256);
  return { n, columns: filled(variables, n, (name) => into.get(name)), lines: Array.from(lines) };
}

/** Each variable's column: read from the file, or (held constant in the sweep and absent there) its value on every row. */
function filled(variables: readonly InputVariable[], n: number, read: (name: string) => Float64Array | undefined): Map<string, Float64Array> {
  return new Map(variables.map((v) => [v.name, read(v.name) ?? new Float64Array(n).fill(v.constant!)]));
}
