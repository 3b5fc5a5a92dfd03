// Reads the raw inputs of `sweepdeck predict`: a CSV whose header names the problem's variables
// (other columns are ignored), one row per point, every cell a finite decimal number. Mistakes
// are refused with the file, line and column; nothing is guessed.
import { CsvError, parse } from 'csv-parse/sync';
import { didYouMean } from '../formula/index.js';
import { ArtifactError } from './load.js';

export interface InputRows {
  n: number;
  /** float64 values of each variable, by name. */
  columns: Map<string, Float64Array>;
  /** The line of the file each row comes from (1-based; the header is line 1), or for a columnar file (unit 'row') its row number. */
  lines: number[];
  /** What `lines` counts: text lines (the default) or a columnar file's rows. */
  unit?: 'line' | 'row';
}

export interface InputVariable {
  name: string;
  /** A variable held constant in the sweep (`value:`) may be left out of the file; it takes this value. */
  constant?: number;
}

/** A plain decimal or scientific number: no hex, no underscores, no Infinity/NaN, not empty. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Refuses (at `where`, with a did-you-mean) a header that lacks a variable not held constant. */
export function requireColumns(where: string, header: readonly string[], variables: readonly InputVariable[]): void {
  const expected = variables.map((v) => v.name).join(', ');
  for (const variable of variables) {
    if (header.includes(variable.name) || variable.constant !== undefined) continue;
    const suggestion = didYouMean(variable.name, header);
    throw new ArtifactError(`${where}: no column "${variable.name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; expected a header with the problem's variables: ${expected} (got: ${header.join(', ')})`);
  }
}

export function readInputCsv(text: string, source: string, variables: readonly InputVariable[]): InputRows {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw new ArtifactError(`${source}: not a readable CSV: ${error.message}`);
    throw error;
  }
  if (records.length === 0) throw new ArtifactError(`${source}: empty; expected a header row with the columns ${variables.map((v) => v.name).join(', ')}`);
  const header = records[0]!.record;
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new ArtifactError(`${source}:1: column "${name}" appears twice in the header`);
    seen.add(name);
  }
  requireColumns(`${source}:1`, header, variables);
  const index = new Map(variables.filter((v) => header.includes(v.name)).map((v) => [v.name, header.indexOf(v.name)]));
  const rows = records.slice(1);
  if (rows.length === 0) throw new ArtifactError(`${source}: no data rows after the header`);
  const n = rows.length;
  const columns = new Map<string, Float64Array>();
  for (const variable of variables) {
    const values = new Float64Array(n);
    const at = index.get(variable.name);
    if (at === undefined) values.fill(variable.constant!);
    else {
      rows.forEach(({ record, info }, i) => {
        const cell = record[at]!;
        if (!NUMBER.test(cell)) {
          const shown = cell === '' ? 'an empty cell' : JSON.stringify(cell);
          throw new ArtifactError(`${source}:${info.lines}: column "${variable.name}": ${shown} is not a number (expected a finite decimal number such as 12.5 or 1e-3)`);
        }
        values[i] = Number(cell);
        if (!Number.isFinite(values[i]!)) throw new ArtifactError(`${source}:${info.lines}: column "${variable.name}": ${cell} is too large for a float64`);
      });
    }
    columns.set(variable.name, values);
  }
  return { n, columns, lines: rows.map((r) => r.info.lines) };
}
