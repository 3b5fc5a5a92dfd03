// A data problem's table: the `problem.data` file (and a validation file, when there is one) read
// once into shared float64 columns, split into training and validation rows, and laid out with the
// training rows first, so that every worker reads the validation rows as plain views, without a
// copy. Also what the spec records of the data: each file's identity, the row counts, and each
// input's range over the training rows (predict flags rows outside it, without the file).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Rng, deriveSeed } from '../rng.js';
import { didYouMean } from '../formula/index.js';
import { SpecError } from '../spec/errors.js';
import { formatOf, readTableInto, scanTable, sharedColumns, type DataFileIdentity, type TableFormat } from './read-table.js';
import { isBinaryFormat, preloadTables, shownPath, type TableCache } from './binary-table.js';

/** The columns every worker shares: training rows [0, trainRows), validation rows after them. */
export interface ProblemTable {
  columns: Map<string, Float64Array>;
  trainRows: number;
  validationRows: number;
}

/** The table together with what only the loading thread needs: where each row came from. */
export interface LoadedTable {
  table: ProblemTable;
  /** Per row (in the table's order): the file (as written) and the line (text) or row (Parquet, Arrow) it was read from. */
  origin(row: number): RowOrigin;
}

/** Where a row of the table came from: `line` is a line of a text file, or a 1-based row of a Parquet or Arrow file. */
export interface RowOrigin {
  file: string;
  line: number;
  unit: 'line' | 'row';
}

/** A data file opened for the table: what pass 1 found, and the pass that fills columns. */
interface OpenTable {
  identity: DataFileIdentity;
  header: string[];
  rows: number;
  unit: 'line' | 'row';
  /** Fills the columns in `into` (row r at destination[r], default offset + r); returns each row's line (or row number). */
  read(into: ReadonlyMap<string, Float64Array>, offset: number, destination?: Uint32Array): Uint32Array;
}

/** A refusal about one row of a data file. */
function rowError(file: string, unit: 'line' | 'row', at: number, message: string): SpecError {
  return unit === 'line' ? new SpecError(file, undefined, { line: at, col: 1 }, message) : new SpecError(file, undefined, undefined, `row ${at}: ${message}`);
}

/**
 * Opens a data file: a text file is scanned here (pass 1) and parsed by `read`; a Parquet or Arrow
 * file was decoded before the check began (`preloadTables`) and is taken from `tables`.
 */
function openTable(path: string, shown: string, format: TableFormat, tables: TableCache | undefined): OpenTable {
  if (isBinaryFormat(format)) {
    const table = tables?.get(path);
    if (!table || table.format !== format) {
      throw new SpecError(shown, undefined, undefined, `a ${format === 'parquet' ? 'Parquet' : 'Arrow'} file is read before the sweep file is checked: load the sweep with loadSweepFile (or give loadSweepText the tables preloadTables reads)`);
    }
    return {
      identity: table.identity,
      header: table.header,
      rows: table.rows,
      unit: 'row',
      read(into, offset, destination) {
        for (const [name, column] of into) {
          const problem = table.problems.get(name);
          if (problem !== undefined) throw new SpecError(shown, undefined, undefined, problem);
          const values = table.columns.get(name);
          if (!values) {
            // The check names missing columns first; this is a column the preload was not asked for.
            throw new SpecError(shown, undefined, undefined, `column "${name}" was not read from the file`);
          }
          if (destination) for (let r = 0; r < table.rows; r++) column[destination[r]!] = values[r]!;
          else column.set(values, offset);
        }
        return Uint32Array.from({ length: table.rows }, (_, r) => r + 1);
      },
    };
  }
  const scan = scanTable(path, shown, format);
  return {
    identity: scan.identity,
    header: scan.header,
    rows: scan.rows,
    unit: 'line',
    read: (into, offset, destination) => readTableInto(path, shown, format, scan.header, into, offset, scan.rows, scan.identity.sha256, destination),
  };
}

/** `problem.data` as stored in the normalised spec. */
export interface DataSpec {
  path: string;
  format: TableFormat;
  inputs: string[];
  targets: string[];
  weights?: string;
  file: DataFileIdentity;
  rows: { train: number; validation: number };
  /** min and max of each input over the training rows. */
  ranges: Record<string, [number, number]>;
}

/** A data problem's `problem.validation`, normalised: a random fraction, a file, or a 0/1 column. */
export type DataValidationSpec =
  | { fraction: number; seed: number }
  | { path: string; format: TableFormat; file: DataFileIdentity }
  | { column: string };

export type FieldFail = (path: (string | number)[], message: string, opts?: { key?: boolean }) => never;

/** What the sweep file says about its data, after the shape check. */
export interface DataFileSpec {
  path: string;
  format?: TableFormat | undefined;
  inputs?: string[] | undefined;
  targets: string | string[];
  weights?: string | undefined;
}

export interface ValidationFileSpec {
  seed: number;
  size?: number | undefined;
  fraction?: number | undefined;
  path?: string | undefined;
  format?: TableFormat | undefined;
  column?: string | undefined;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_FRACTION = 0.2;

/** Names a column must not take: what the trainer binds, and function and constant names. */
export interface NameRules {
  reserved(name: string): boolean;
}

/**
 * Reads and checks the data of a sweep file at `sweepFile`: columns named in the spec exist
 * (did-you-mean), every cell is a finite number, the split leaves rows on both sides.
 */
export function loadProblemTable(
  data: DataFileSpec,
  validation: ValidationFileSpec,
  sweepFile: string,
  rules: NameRules,
  fail: FieldFail,
  tables?: TableCache,
): { data: DataSpec; validation: DataValidationSpec; loaded: LoadedTable } {
  const base = dirname(sweepFile);
  const mainFormat = data.format ?? formatOf(data.path);
  if (!mainFormat) fail(['problem', 'data', 'path'], `cannot tell the format of "${data.path}" from its name (.csv, .tsv, .jsonl, .parquet, .arrow, .feather); say it with format: csv | tsv | jsonl | parquet | arrow`);
  const shownMain = shownPath(base, data.path);
  const main = openTable(resolve(base, data.path), shownMain, mainFormat!, tables);

  if (main.rows === 0) fail(['problem', 'data', 'path'], `${shownMain} has no data rows${mainFormat === 'csv' || mainFormat === 'tsv' ? ' after its header' : ''}`);
  const targets = typeof data.targets === 'string' ? [data.targets] : data.targets;
  const column = (name: string, path: (string | number)[], what: string) => {
    if (!main.header.includes(name)) {
      const suggestion = didYouMeanColumn(name, main.header);
      fail(path, `no column "${name}" in ${shownMain}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; its header has: ${main.header.join(', ')}`);
    }
    if (what !== 'split' && !NAME_PATTERN.test(name)) {
      fail(path, `column "${name}" cannot be a name in formulas (letters, digits and _, not starting with a digit); rename it in the header of ${shownMain}`);
    }
    if (what !== 'split' && rules.reserved(name)) fail(path, `column "${name}" takes a reserved name (net, pred, target, scale, pi, e and function names); rename it in the header of ${shownMain}`);
  };
  targets.forEach((name, i) => column(name, ['problem', 'data', 'targets', ...(typeof data.targets === 'string' ? [] : [i])], 'target'));
  if (data.weights !== undefined) column(data.weights, ['problem', 'data', 'weights'], 'weights');
  if (validation.column !== undefined) column(validation.column, ['problem', 'validation', 'column'], 'split');
  const taken = new Set([...targets, ...(data.weights !== undefined ? [data.weights] : []), ...(validation.column !== undefined ? [validation.column] : [])]);
  const inputs = data.inputs ?? main.header.filter((name) => !taken.has(name));
  if (inputs.length === 0) fail(['problem', 'data'], `no input columns: ${shownMain} has only ${main.header.join(', ')}`);
  inputs.forEach((name, i) => {
    const path = data.inputs ? ['problem', 'data', 'inputs', i] : ['problem', 'data'];
    column(name, path, 'input');
    if (taken.has(name)) fail(path, `column "${name}" is an input and also the ${targets.includes(name) ? 'target' : name === data.weights ? 'weights' : 'validation'} column; a column has one role`);
  });
  const seen = new Set<string>();
  for (const [i, name] of [...inputs, ...targets].entries()) {
    if (seen.has(name)) fail(['problem', 'data', i < inputs.length ? 'inputs' : 'targets'], `column "${name}" is named twice`);
    seen.add(name);
  }

  const ways = [validation.fraction !== undefined, validation.path !== undefined, validation.column !== undefined].filter(Boolean).length;
  if (ways > 1) fail(['problem', 'validation'], 'expected one of: fraction (a random share of the rows), path (a file of its own) or column (a 0/1 column marking validation rows)');
  if (validation.size !== undefined) fail(['problem', 'validation', 'size'], 'a data problem takes its validation rows from the data: use fraction, path or column instead of size', { key: true });

  const names = [...inputs, ...targets, ...(data.weights !== undefined ? [data.weights] : []), ...(validation.column !== undefined ? [validation.column] : [])];
  let validationFile: { path: string; shown: string; format: TableFormat; scan: OpenTable } | undefined;
  if (validation.path !== undefined) {
    const format = validation.format ?? formatOf(validation.path);
    if (!format) fail(['problem', 'validation', 'path'], `cannot tell the format of "${validation.path}" from its name (.csv, .tsv, .jsonl, .parquet, .arrow, .feather); say it with format: csv | tsv | jsonl | parquet | arrow`);
    const shown = shownPath(base, validation.path);
    const scan = openTable(resolve(base, validation.path), shown, format!, tables);
    for (const name of [...inputs, ...targets, ...(data.weights !== undefined ? [data.weights] : [])]) {
      if (!scan.header.includes(name)) {
        const suggestion = didYouMeanColumn(name, scan.header);
        fail(['problem', 'validation', 'path'], `no column "${name}" in the validation file ${shown}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; it needs the same columns as ${shownMain}`);
      }
    }
    validationFile = { path: resolve(base, validation.path), shown, format: format!, scan };
  }

  const total = main.rows + (validationFile?.scan.rows ?? 0);
  // Training rows first, each side in file order. A random split is drawn before the file is
  // parsed, so every row is written straight to its place; a validation column is known only
  // after, so those rows are moved into place afterwards; a validation file's rows come last anyway.
  let isValidation: Uint8Array | undefined;
  /** A split that leaves one side empty, reported after the file is read (a bad cell is the first thing to fix). */
  let emptySide: string | undefined;
  if (validation.column === undefined && !validationFile) {
    const fraction = validation.fraction ?? DEFAULT_FRACTION;
    const count = Math.round(fraction * total);
    if (count === 0) emptySide = `a fraction of ${fraction} of ${total} rows is no validation rows; use a larger fraction or more data`;
    else if (count === total) emptySide = `a fraction of ${fraction} of ${total} rows leaves no training rows`;
    else isValidation = chooseRows(total, count, new Rng(deriveSeed(validation.seed, 'validation')));
  }
  // Table row → file row, made only when a message needs it (a bad row, origin()): a random split
  // writes each file row straight to its place, and a million rows' order is 4 MB.
  let order: Uint32Array | undefined;
  const split = isValidation;
  const fileRowOf = (row: number): number => {
    if (!order && split) order = trainFirst(split);
    return order ? order[row]! : row;
  };
  const columns = sharedColumns(names, total);
  const mainLines = main.read(columns, 0, isValidation && placeOf(isValidation));
  let validationLines: Uint32Array | undefined;
  if (validationFile) {
    if (validationFile.scan.rows === 0) fail(['problem', 'validation', 'path'], `no validation rows: ${validationFile.shown} has no rows`);
    const into = new Map([...columns].filter(([name]) => name !== validation.column));
    validationLines = validationFile.scan.read(into, main.rows);
  }
  if (emptySide !== undefined) fail(['problem', 'validation', 'fraction'], emptySide);
  let validationRows = validationFile ? validationFile.scan.rows : 0;
  if (validation.column !== undefined) {
    const marks = columns.get(validation.column)!;
    isValidation = new Uint8Array(total);
    for (let row = 0; row < total; row++) {
      const mark = marks[row]!;
      if (mark !== 0 && mark !== 1) {
        throw rowError(shownMain, main.unit, mainLines[row]!, `column "${validation.column}": ${mark} (the validation column marks validation rows with 1 and training rows with 0)`);
      }
      isValidation[row] = mark;
    }
    columns.delete(validation.column);
    const columnOrder = trainFirst(isValidation);
    order = columnOrder;
    const scratch = new Float64Array(total);
    for (const values of columns.values()) {
      for (let i = 0; i < total; i++) scratch[i] = values[columnOrder[i]!]!;
      values.set(scratch);
    }
  }
  if (isValidation) for (let row = 0; row < total; row++) validationRows += isValidation[row]!;
  const trainRows = total - validationRows;
  if (validationRows === 0) fail(['problem', 'validation', 'column'], `no validation rows: column "${validation.column}" is 0 on every row of ${shownMain}`);
  if (trainRows === 0) fail(['problem', 'validation', 'column'], `no training rows: column "${validation.column}" is 1 on every row of ${shownMain}`);

  if (data.weights !== undefined) {
    // Loss weights scale each row's share of a batch's loss: a negative one would reward error.
    const weights = columns.get(data.weights)!;
    for (let row = 0; row < total; row++) {
      if (weights[row]! < 0) {
        const at = fileRowOf(row);
        const where = at < main.rows ? { file: shownMain, unit: main.unit, line: mainLines[at]! } : { file: validationFile!.shown, unit: validationFile!.scan.unit, line: validationLines![at - main.rows]! };
        throw rowError(where.file, where.unit, where.line, `column "${data.weights}": ${weights[row]} (loss weights must be 0 or more)`);
      }
    }
  }
  const ranges: Record<string, [number, number]> = {};
  for (const name of inputs) {
    const values = columns.get(name)!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < trainRows; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    ranges[name] = [lo, hi];
  }

  const spec: DataSpec = {
    path: data.path,
    format: mainFormat!,
    inputs,
    targets,
    ...(data.weights !== undefined ? { weights: data.weights } : {}),
    file: main.identity,
    rows: { train: trainRows, validation: validationRows },
    ranges,
  };
  const validationSpec: DataValidationSpec = validationFile
    ? { path: validation.path!, format: validationFile.format, file: validationFile.scan.identity }
    : validation.column !== undefined
      ? { column: validation.column }
      : { fraction: validation.fraction ?? DEFAULT_FRACTION, seed: validation.seed };
  return {
    data: spec,
    validation: validationSpec,
    loaded: {
      table: { columns, trainRows, validationRows },
      origin(row) {
        const fileRow = fileRowOf(row);
        return fileRow < main.rows
          ? { file: shownMain, line: mainLines[fileRow]!, unit: main.unit }
          : { file: validationFile!.shown, line: validationLines![fileRow - main.rows]!, unit: validationFile!.scan.unit };
      },
    },
  };
}

/**
 * The table of a stored sweep, read again from the files the spec recorded (resume, explain): the
 * same columns and the same split. `who` names the command for the message when a file is gone
 * or has changed since the sweep was created.
 */
export async function reloadProblemTable(data: DataSpec, validation: DataValidationSpec, who: string): Promise<LoadedTable> {
  const files = [{ role: 'data file', spec: data.file }, ...('file' in validation ? [{ role: 'validation file', spec: validation.file }] : [])];
  for (const { role, spec } of files) {
    if (!existsSync(spec.path)) {
      throw new SpecError(spec.path, undefined, undefined, `no such file: ${who} needs this ${role}, the one the sweep was created with (${spec.bytes} bytes, sha256 ${spec.sha256}); put it back at this path`);
    }
  }
  const refuse = (path: (string | number)[], message: string): never => {
    throw new SpecError(data.file.path, path.join('.'), undefined, `${who}: ${message}`);
  };
  const dataFile: DataFileSpec = { path: data.file.path, format: data.format, inputs: data.inputs, targets: data.targets, weights: data.weights };
  const validationFile: ValidationFileSpec =
    'fraction' in validation
      ? { fraction: validation.fraction, seed: validation.seed }
      : 'column' in validation
        ? { seed: 0, column: validation.column }
        : { seed: 0, path: validation.file.path, format: validation.format };
  // Recorded paths are absolute, so the "sweep file" they are relative to does not matter.
  const tables = await preloadTables(data.file.path, { problem: { data: dataFile, validation: validationFile } });
  const read = loadProblemTable(dataFile, validationFile, data.file.path, { reserved: () => false }, refuse, tables);
  const now = [read.data.file, ...('file' in read.validation ? [read.validation.file] : [])];
  files.forEach(({ role, spec }, i) => {
    const found = now[i]!;
    if (found.sha256 !== spec.sha256) {
      throw new SpecError(spec.path, undefined, undefined, changedMessage(who, role, spec, found));
    }
  });
  return read.loaded;
}

/** A data file whose content is not what the sweep was created with. */
export function changedMessage(who: string, role: string, was: DataFileIdentity, now: DataFileIdentity): string {
  return `${who}: the ${role} has changed since the sweep was created (then ${was.bytes} bytes, sha256 ${was.sha256}; now ${now.bytes} bytes, sha256 ${now.sha256}); restore it, or start a new DB for the new data (run the sweep file with --db NEW.db)`;
}

/** The file rows in table order: training rows first, then validation rows, each in file order (the inverse of `placeOf`). */
function trainFirst(isValidation: Uint8Array): Uint32Array {
  const place = placeOf(isValidation);
  const order = new Uint32Array(place.length);
  for (let row = 0; row < place.length; row++) order[place[row]!] = row;
  return order;
}

/** Where each file row goes in table order: training rows first, then validation rows, each in file order. */
function placeOf(isValidation: Uint8Array): Uint32Array {
  const total = isValidation.length;
  let trainRows = 0;
  for (let row = 0; row < total; row++) trainRows += isValidation[row] ? 0 : 1;
  const destination = new Uint32Array(total);
  let nextTrain = 0;
  let nextValidation = trainRows;
  for (let row = 0; row < total; row++) destination[row] = isValidation[row] ? nextValidation++ : nextTrain++;
  return destination;
}

/** `count` of `total` rows, chosen uniformly at random (a partial Fisher–Yates shuffle). */
function chooseRows(total: number, count: number, rng: Rng): Uint8Array {
  const order = Uint32Array.from({ length: total }, (_, i) => i);
  const chosen = new Uint8Array(total);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.next() * (total - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
    chosen[order[i]!] = 1;
  }
  return chosen;
}

function didYouMeanColumn(name: string, header: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = header.find((h) => h.toLowerCase() === lower);
  return exact ?? didYouMean(name, header) ?? undefined;
}
