// Reads a columnar data file (Parquet, or Arrow IPC: Feather v2, .arrow) into float64 columns.
// Their readers are asynchronous (hyparquet decodes column chunks behind promises), so these files
// are read before the sweep file is checked (`preloadTables`, called by `loadSweepFile` and by the
// commands that read a stored sweep's data again) and the synchronous check takes the decoded
// columns from the cache. Each cell is checked as the CSV reader checks one: a null, a NaN or an
// infinity, a string, a boolean or a date is refused with the file, the row and the column, when
// (and only when) the sweep uses that column.
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { parquetMetadata, parquetRead, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { compressionRegistry, CompressionType, tableFromIPC, type Table } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import lz4 from 'lz4js';
import { SpecError } from '../spec/errors.js';
import { formatOf, type DataFileIdentity, type TableFormat } from './read-table.js';

export type BinaryFormat = 'parquet' | 'arrow';

// Arrow IPC buffers may be compressed (pyarrow's Feather v2 default is LZ4 frames); apache-arrow
// decodes them with the codecs registered here: lz4js and fzstd, pure JS (Arrow JS's own
// compression tests use lz4js). Only decode: sweepdeck never writes these files.
if (!compressionRegistry.get(CompressionType.LZ4_FRAME)) compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data: Uint8Array) => lz4.decompress(data) });
if (!compressionRegistry.get(CompressionType.ZSTD)) compressionRegistry.set(CompressionType.ZSTD, { decode: (data: Uint8Array) => zstdDecompress(data) });

export function isBinaryFormat(format: TableFormat): format is BinaryFormat {
  return format === 'parquet' || format === 'arrow';
}

/** A columnar file, read: its identity, its columns' names and, for the columns asked for, their values or their first bad cell. */
export interface BinaryTable {
  format: BinaryFormat;
  identity: DataFileIdentity;
  header: string[];
  rows: number;
  /** The decoded columns (only those asked for, of those the file has). */
  columns: Map<string, Float64Array>;
  /** Per column asked for that cannot be used: why, naming the row (thrown when the sweep reads that column). */
  problems: Map<string, string>;
}

/** Decoded columnar files by absolute path. */
export type TableCache = ReadonlyMap<string, BinaryTable>;

/** The largest columnar file read: it is decoded in memory (a compressed Parquet file of this size holds far more than a sweep needs). */
export const MAX_BINARY_BYTES = 2 ** 31 - 1;

const MISSING_HINT = 'a missing value must be filled in or its row removed';

/**
 * Reads the Parquet or Arrow file at `path` (`shown` as the user wrote it), decoding `wanted`
 * (undefined: every column) into float64. The file's hash is of the bytes decoded.
 */
export async function readBinaryTable(path: string, shown: string, format: BinaryFormat, wanted?: readonly string[]): Promise<BinaryTable> {
  const bytes = await readWhole(path, shown);
  const identity: DataFileIdentity = { path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  return format === 'parquet' ? readParquet(bytes, shown, identity, wanted) : readArrow(bytes, shown, identity, wanted);
}

async function readWhole(path: string, shown: string): Promise<Buffer> {
  const refuse = (why: string) => new SpecError(shown, undefined, undefined, `cannot read the data file: ${why}`);
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? 'no such file' : (error as Error).message);
  }
  if (info.isDirectory()) throw refuse('it is a directory');
  if (!info.isFile()) throw refuse('it is not a regular file (a device, pipe or socket); save the data to a file');
  if (info.size > MAX_BINARY_BYTES) throw refuse(`it is ${info.size} bytes; a Parquet or Arrow file is read whole, up to ${MAX_BINARY_BYTES} bytes`);
  try {
    return await readFile(path);
  } catch (error) {
    throw refuse((error as Error).message);
  }
}

async function readParquet(bytes: Buffer, shown: string, identity: DataFileIdentity, wanted?: readonly string[]): Promise<BinaryTable> {
  // A Buffer of a large file owns its ArrayBuffer; a small one may share Node's pool, so it is copied.
  const buffer: ArrayBuffer =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new SpecError(shown, undefined, undefined, `not a Parquet file: ${(error as Error).message}`);
  }
  const schema = parquetSchema(metadata);
  const header = schema.children.map((child) => child.element.name);
  refuseDuplicates(header, shown);
  const rows = Number(metadata.num_rows);
  const problems = new Map<string, string>();
  const names = (wanted ?? header).filter((name, i, all) => header.includes(name) && all.indexOf(name) === i);
  const flat: string[] = [];
  for (const name of names) {
    const node = schema.children.find((child) => child.element.name === name)!;
    if (node.children.length > 0) problems.set(name, `column "${name}" is a nested column (a struct, list or map), not numbers`);
    else flat.push(name);
  }
  const columns = new Map(flat.map((name) => [name, new Float64Array(rows)]));
  /** Per column, the first bad row found (chunks may come in any order). */
  const firstBad = new Map<string, { row: number; what: string }>();
  if (flat.length > 0 && rows > 0) {
    try {
      await parquetRead({
        file: { byteLength: buffer.byteLength, slice: (start, end) => buffer.slice(start, end) },
        metadata,
        columns: flat,
        compressors,
        onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
          const into = columns.get(columnName);
          if (!into) return;
          const end = Math.min(rowEnd, rows, rowStart + columnData.length);
          const known = firstBad.get(columnName);
          for (let row = rowStart; row < end; row++) {
            const cell = columnData[row - rowStart];
            const value = typeof cell === 'number' ? cell : typeof cell === 'bigint' ? Number(cell) : NaN;
            if (Number.isFinite(value)) {
              into[row] = value;
            } else {
              if (!known || row < known.row) firstBad.set(columnName, { row, what: describeCell(cell) });
              break;
            }
          }
        },
      });
    } catch (error) {
      throw new SpecError(shown, undefined, undefined, `cannot read the Parquet file: ${(error as Error).message}`);
    }
  }
  for (const [name, bad] of firstBad) {
    problems.set(name, `row ${bad.row + 1}, column "${name}": ${bad.what} (expected a finite number; ${MISSING_HINT})`);
    columns.delete(name);
  }
  for (const name of problems.keys()) columns.delete(name);
  return { format: 'parquet', identity, header, rows, columns, problems };
}

function readArrow(bytes: Buffer, shown: string, identity: DataFileIdentity, wanted?: readonly string[]): BinaryTable {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new SpecError(shown, undefined, undefined, `not an Arrow IPC file (Feather v2, file or stream format): ${(error as Error).message}`);
  }
  const header = table.schema.fields.map((field) => field.name);
  if (header.length === 0 && bytes.length > 0) throw new SpecError(shown, undefined, undefined, 'not an Arrow IPC file (Feather v2, file or stream format): no schema was found');
  refuseDuplicates(header, shown);
  const rows = table.numRows;
  const columns = new Map<string, Float64Array>();
  const problems = new Map<string, string>();
  const names = (wanted ?? header).filter((name, i, all) => header.includes(name) && all.indexOf(name) === i);
  for (const name of names) {
    const vector = table.getChild(name)!;
    const into = new Float64Array(rows);
    const typeName = String(vector.type);
    // Plain numbers without nulls: one typed-array copy (an Int64 column's values are BigInts).
    const values = vector.nullCount === 0 && /^(Float|Int|Uint)(8|16|32|64)$/.test(typeName) && typeName !== 'Float16' ? (vector.toArray() as ArrayLike<number | bigint>) : undefined;
    let bad: string | undefined;
    for (let row = 0; row < rows; row++) {
      const cell = values ? values[row] : vector.get(row);
      const value = typeof cell === 'number' ? cell : typeof cell === 'bigint' ? Number(cell) : NaN;
      if (Number.isFinite(value)) {
        into[row] = value;
        continue;
      }
      bad = `row ${row + 1}, column "${name}": ${describeCell(cell)} (expected a finite number, and the column's type is ${typeName}; ${MISSING_HINT})`;
      break;
    }
    if (bad !== undefined) problems.set(name, bad);
    else columns.set(name, into);
  }
  return { format: 'arrow', identity, header, rows, columns, problems };
}

function refuseDuplicates(header: readonly string[], shown: string): void {
  header.forEach((name, i) => {
    const earlier = header.indexOf(name);
    if (earlier !== i) throw new SpecError(shown, undefined, undefined, `column "${name}" appears twice (columns ${earlier + 1} and ${i + 1}); rename one of them`);
  });
}

/** A cell that is not a finite number, as a message names it. */
function describeCell(cell: unknown): string {
  if (cell === null || cell === undefined) return 'null';
  if (typeof cell === 'number' || typeof cell === 'bigint') return `${cell} (NaN and infinities are not data)`;
  if (typeof cell === 'string') return `${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 37)}...` : cell)} is not a number`;
  if (typeof cell === 'boolean') return `${cell} is not a number (a boolean column)`;
  if (cell instanceof Date) return `${Number.isNaN(cell.getTime()) ? 'an invalid date' : cell.toISOString()} is not a number (a date or time column)`;
  return `a ${Array.isArray(cell) || ArrayBuffer.isView(cell) ? 'list' : 'structured'} value is not a number`;
}

/** What a sweep file (as parsed YAML, not yet checked) says about one table file. */
interface TableMention {
  path: string;
  format: BinaryFormat;
}

/**
 * Reads every Parquet or Arrow file the sweep file's problem names (`problem.data.path`,
 * `problem.validation.path`), for `loadSweepText` to take from the cache. Only the columns the
 * problem names are decoded (all of them when it names no inputs). Anything not well formed is
 * left for the check to report, with its place in the sweep file.
 */
export async function preloadTables(sweepFile: string, data: unknown): Promise<TableCache> {
  const problem = field(data, 'problem');
  const dataField = field(problem, 'data');
  const validation = field(problem, 'validation');
  const mentions: TableMention[] = [];
  for (const spec of [dataField, validation]) {
    const path = field(spec, 'path');
    if (typeof path !== 'string') continue;
    const format = field(spec, 'format') ?? formatOf(path);
    if (format === 'parquet' || format === 'arrow') mentions.push({ path, format });
  }
  if (mentions.length === 0) return new Map();
  const strings = (value: unknown): string[] => (typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const inputs = field(dataField, 'inputs');
  const wanted = Array.isArray(inputs)
    ? [...strings(inputs), ...strings(field(dataField, 'targets')), ...strings(field(dataField, 'weights')), ...strings(field(validation, 'column'))]
    : undefined;
  const base = dirname(sweepFile);
  const cache = new Map<string, BinaryTable>();
  for (const { path, format } of mentions) {
    const absolute = resolve(base, path);
    if (!cache.has(absolute)) cache.set(absolute, await readBinaryTable(absolute, shownPath(base, path), format, wanted));
  }
  return cache;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A data path as messages show it: relative to the working directory when the sweep file's was. */
export function shownPath(base: string, path: string): string {
  if (path.startsWith('/')) return path;
  return base === '.' ? path : `${base}/${path}`;
}
