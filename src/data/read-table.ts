// Reads a text data file (CSV, TSV or JSON Lines) into float64 columns that live in SharedArrayBuffers,
// so every worker thread reads the same memory. Only the columns asked for are parsed; the others
// may hold anything. The file is read twice in bounded chunks, never whole: the first pass hashes
// it and counts its rows (so each column is allocated once, at its exact size), the second parses.
// A line longer than MAX_LINE_BYTES ends the read with an error, so /dev/zero or a binary file is
// refused instead of exhausting memory. Every refusal names the file, line:column and column.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { didYouMean } from '../formula/index.js';
import { SpecError } from '../spec/errors.js';

/** Text formats are read here; Parquet and Arrow IPC by binary-table.ts. */
export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet' | 'arrow';
export type TextFormat = 'csv' | 'tsv' | 'jsonl';

/** What the DB records of a data file: where it was, how big, and its content hash. */
export interface DataFileIdentity {
  /** Absolute path when the sweep was loaded. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface ReadTable {
  identity: DataFileIdentity;
  /** Data rows (the header and blank lines are not rows). */
  n: number;
  /** The header's names, in file order. */
  header: string[];
  /** The line each row comes from (1-based), for messages about a row. */
  lines: Uint32Array;
}

/** Longest line accepted (bytes): far above any numeric row, far below what would hurt. */
export const MAX_LINE_BYTES = 1 << 20;
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 10;
const CR = 13;
const QUOTE = 34;

export function formatOf(path: string): TableFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (lower.endsWith('.arrow') || lower.endsWith('.feather') || lower.endsWith('.ipc')) return 'arrow';
  return undefined;
}

/** Float64 columns over shared memory, `rows` long, ready for `readTableInto` to fill from row `offset`. */
export function sharedColumns(names: readonly string[], rows: number): Map<string, Float64Array> {
  return new Map(names.map((name) => [name, new Float64Array(new SharedArrayBuffer(Math.max(8, rows * 8)), 0, rows)]));
}

/**
 * Pass 1: the file's identity, its header and how many rows it has, checking that every line is
 * bounded. `shown` is the path as the user wrote it, for messages.
 */
export function scanTable(path: string, shown: string, format: TextFormat): { identity: DataFileIdentity; header: string[]; rows: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let headerBytes: Buffer | undefined;
  const headerParts: Buffer[] = [];
  let lineLength = 0;
  let line = 1;
  let blank = true;
  let atStart = true;
  forEachChunk(path, shown, (chunk, length) => {
    hash.update(chunk.subarray(0, length));
    bytes += length;
    let start = 0;
    if (atStart) {
      atStart = false;
      if (length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    }
    // indexOf runs natively: the byte loops below only look at the first bytes of a line.
    const nul = chunk.subarray(0, length).indexOf(0);
    let pos = start;
    while (pos < length) {
      const found = chunk.indexOf(NEWLINE, pos);
      const end = found < 0 || found >= length ? length : found;
      if (nul >= pos && nul < end) {
        throw new SpecError(shown, undefined, { line, col: lineLength + nul - pos + 1 }, `a NUL byte: this is a binary file, not ${format.toUpperCase()} text`);
      }
      lineLength += end - pos;
      if (lineLength > MAX_LINE_BYTES) {
        throw new SpecError(shown, undefined, { line, col: 1 }, `line ${line} is longer than ${MAX_LINE_BYTES} bytes: this is not a ${format.toUpperCase()} file of numbers`);
      }
      if (blank) {
        for (let i = pos; i < end; i++) {
          const c = chunk[i]!;
          if (c !== CR && c !== 32 && c !== 9) {
            blank = false;
            break;
          }
        }
      }
      if (end === length) break;
      if (!headerBytes && !blank) {
        headerParts.push(Buffer.from(chunk.subarray(start, end)));
        headerBytes = Buffer.concat(headerParts);
      } else if (headerBytes && !blank) rows++;
      else if (!headerBytes) headerParts.length = 0;
      pos = start = end + 1;
      blank = true;
      lineLength = 0;
      line++;
    }
    if (!headerBytes && start < length) headerParts.push(Buffer.from(chunk.subarray(start, length)));
  });
  if (!blank) {
    if (headerBytes) rows++;
    else headerBytes = Buffer.concat(headerParts);
  }
  if (!headerBytes) throw new SpecError(shown, undefined, undefined, format === 'jsonl' ? 'the file is empty; expected one JSON object per line' : 'the file is empty; expected a header row naming the columns');
  const header = format === 'jsonl' ? jsonHeader(headerBytes, shown) : splitHeader(headerBytes, shown, format === 'tsv' ? 9 : 44);
  // JSON Lines has no header line: its first object is a row too (its keys are the header).
  return { identity: { path, bytes, sha256: hash.digest('hex') }, header, rows: format === 'jsonl' ? rows + 1 : rows };
}

/**
 * Pass 2: parses the columns named in `into` from the file, writing row r at `destination[r]`
 * (default offset + r), and returns each row's line. With `sha256` (pass 1's), a file that
 * changed in between is refused, so the data parsed is the data the spec records.
 */
export function readTableInto(
  path: string,
  shown: string,
  format: TextFormat,
  header: readonly string[],
  into: ReadonlyMap<string, Float64Array>,
  offset: number,
  rows: number,
  sha256?: string,
  destination?: Uint32Array,
): Uint32Array {
  const lines = new Uint32Array(rows);
  const wanted = [...into.keys()];
  for (const name of wanted) {
    if (!header.includes(name)) {
      const suggestion = didYouMean(name, header);
      throw new SpecError(shown, undefined, { line: 1, col: 1 }, `no column "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; the header has: ${header.join(', ')}`);
    }
  }
  const parseLine =
    format === 'jsonl'
      ? jsonRowParser(shown, wanted, into)
      : delimitedRowParser(shown, header, wanted, into, format === 'tsv' ? 9 : 44);
  let row = format === 'jsonl' ? 0 : -1; // -1: the header (JSON Lines has none: its first object is a row)
  const hash = sha256 !== undefined ? createHash('sha256') : undefined;
  const changed = () => new SpecError(shown, undefined, undefined, 'the file changed while it was being read; read it again');
  let line = 1;
  let carry: Buffer | undefined;
  let atStart = true;
  const handle = (bytes: Buffer, from: number, to: number) => {
    let end = to;
    if (end > from && bytes[end - 1] === CR) end--;
    if (isBlank(bytes, from, end)) return;
    if (row >= 0) {
      if (row >= rows) throw changed();
      parseLine(bytes, from, end, line, destination ? destination[row]! : offset + row);
      lines[row] = line;
    }
    row++;
  };
  forEachChunk(path, shown, (chunk, length) => {
    hash?.update(chunk.subarray(0, length));
    let start = 0;
    if (atStart) {
      atStart = false;
      if (length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    }
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0 || newline >= length) break;
      if (carry) {
        const whole = Buffer.concat([carry, chunk.subarray(start, newline)]);
        carry = undefined;
        handle(whole, 0, whole.length);
      } else handle(chunk, start, newline);
      line++;
      start = newline + 1;
    }
    if (start < length) carry = carry ? Buffer.concat([carry, chunk.subarray(start, length)]) : Buffer.from(chunk.subarray(start, length));
    // Pass 1 bounded every line; a longer one now means the file is not the one that was scanned.
    if (carry && carry.length > MAX_LINE_BYTES) throw changed();
  });
  if (carry) handle(carry, 0, carry.length);
  if (row !== rows || (hash && hash.digest('hex') !== sha256)) throw changed();
  return lines;
}

function forEachChunk(path: string, shown: string, each: (chunk: Buffer, length: number) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SpecError(shown, undefined, undefined, `cannot read the data file: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new SpecError(shown, undefined, undefined, 'cannot read the data file: it is a directory');
    if (!stat.isFile()) throw new SpecError(shown, undefined, undefined, 'cannot read the data file: it is not a regular file (a device, pipe or socket); save the data to a file');
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const length = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (length === 0) break;
      each(chunk, length);
    }
  } finally {
    closeSync(fd);
  }
}

function isBlank(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c !== 32 && c !== 9 && c !== CR) return false;
  }
  return true;
}

/** The fields of one delimited line, unquoted: [text, start offset in the line] pairs. */
function splitFields(bytes: Buffer, from: number, to: number, delimiter: number, shown: string, line: number): { text: string; col: number }[] {
  const fields: { text: string; col: number }[] = [];
  let i = from;
  for (;;) {
    const col = i - from + 1;
    let j = i;
    while (j < to && (bytes[j] === 32 || bytes[j] === 9) && bytes[j] !== delimiter) j++;
    if (j < to && bytes[j] === QUOTE) {
      let text = '';
      let k = j + 1;
      let segment = k;
      for (;;) {
        if (k >= to) throw new SpecError(shown, undefined, { line, col }, 'a quoted field is not closed on its line (a field that spans lines is not supported)');
        if (bytes[k] === QUOTE) {
          text += bytes.toString('utf8', segment, k);
          if (k + 1 < to && bytes[k + 1] === QUOTE) {
            text += '"';
            k += 2;
            segment = k;
            continue;
          }
          k++;
          break;
        }
        k++;
      }
      while (k < to && bytes[k] !== delimiter) k++;
      fields.push({ text, col });
      if (k >= to) return fields;
      i = k + 1;
    } else {
      let k = i;
      while (k < to && bytes[k] !== delimiter) k++;
      fields.push({ text: bytes.toString('utf8', i, k).trim(), col });
      if (k >= to) return fields;
      i = k + 1;
    }
  }
}

function splitHeader(bytes: Buffer, shown: string, delimiter: number): string[] {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end--;
  const names = splitFields(bytes, 0, end, delimiter, shown, 1).map((f) => f.text);
  const firstAt = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') throw new SpecError(shown, undefined, { line: 1, col: 1 }, `column ${i + 1} of the header has no name`);
    const earlier = firstAt.get(name);
    if (earlier !== undefined) throw new SpecError(shown, undefined, { line: 1, col: 1 }, `column "${name}" appears twice in the header (columns ${earlier + 1} and ${i + 1}); rename one of them`);
    firstAt.set(name, i);
  });
  return names;
}

function jsonHeader(bytes: Buffer, shown: string): string[] {
  const value = parseJsonLine(bytes, 0, bytes.length, shown, 1);
  return Object.keys(value);
}

function parseJsonLine(bytes: Buffer, from: number, to: number, shown: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8', from, to));
  } catch (error) {
    throw new SpecError(shown, undefined, { line, col: 1 }, `not a JSON object: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SpecError(shown, undefined, { line, col: 1 }, `expected one JSON object per line, such as {"x": 1.5, "y": 2}; got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

const NOT_A_NUMBER_HINT = 'expected a finite decimal number such as 12.5 or 1e-3; a missing value must be filled in or its row removed';

/** A cell's number, or a message saying why it is not one. */
function parseCell(text: string): number | string {
  if (text === '') return 'an empty cell';
  const c1 = text.length > 1 ? text.charCodeAt(1) | 32 : 0;
  // Number() also reads hex, octal and binary literals ("0x1f"): data never means those.
  if (c1 === 120 || c1 === 111 || c1 === 98) return `${JSON.stringify(text)} is not a number`;
  const value = Number(text);
  if (Number.isFinite(value)) return value;
  if (/^[+-]?(nan|inf|infinity)$/i.test(text)) return `${text} (NaN and infinities are not data)`;
  if (Number.isNaN(value)) return `${JSON.stringify(text)} is not a number`;
  return `${text} is too large for a float64`;
}

/** Powers of ten that are exact in float64: m·10^k or m/10^k with m < 2^53 then rounds once, correctly (Clinger's fast path). */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * A plain decimal number straight from bytes [from, to), or NaN when the cell is anything else
 * (or needs more than the fast path: the caller then falls back to the string path). No string is
 * made, which is most of the cost of reading a large table.
 */
function fastNumber(bytes: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && (bytes[i] === 32 || bytes[i] === 9)) i++;
  while (to > i && (bytes[to - 1] === 32 || bytes[to - 1] === 9)) to--;
  if (i >= to) return NaN;
  let negative = false;
  if (bytes[i] === 45 || bytes[i] === 43) {
    negative = bytes[i] === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let seenDigit = false;
  for (; i < to; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) break;
    seenDigit = true;
    if (mantissa === 0 && d === 0) continue;
    mantissa = mantissa * 10 + d;
    digits++;
  }
  if (i < to && bytes[i] === 46) {
    for (i++; i < to; i++) {
      const d = bytes[i]! - 48;
      if (d < 0 || d > 9) break;
      seenDigit = true;
      scale--;
      if (mantissa === 0 && d === 0) continue;
      mantissa = mantissa * 10 + d;
      digits++;
    }
  }
  if (!seenDigit) return NaN;
  if (i < to && (bytes[i] === 101 || bytes[i] === 69)) {
    i++;
    let exponentNegative = false;
    if (i < to && (bytes[i] === 45 || bytes[i] === 43)) {
      exponentNegative = bytes[i] === 45;
      i++;
    }
    let exponent = 0;
    const first = i;
    for (; i < to; i++) {
      const d = bytes[i]! - 48;
      if (d < 0 || d > 9) break;
      if (exponent < 10_000) exponent = exponent * 10 + d;
    }
    if (i === first) return NaN;
    scale += exponentNegative ? -exponent : exponent;
  }
  if (i !== to || digits > 15) return NaN;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (scale >= 0 && scale <= 22) value = mantissa * EXACT_POWERS[scale]!;
  else if (scale < 0 && scale >= -22) value = mantissa / EXACT_POWERS[-scale]!;
  else return NaN;
  return negative ? -value : value;
}

function delimitedRowParser(shown: string, header: readonly string[], wanted: readonly string[], into: ReadonlyMap<string, Float64Array>, delimiter: number) {
  const width = header.length;
  // For each field of a row: the column it fills, or null when it is not read.
  const targets: (Float64Array | null)[] = header.map((name) => (wanted.includes(name) ? into.get(name)! : null));
  const names = header;
  return (bytes: Buffer, from: number, to: number, line: number, at: number) => {
    // Quotes are rare in numeric data: a line with one takes the general path.
    if (bytes.subarray(from, to).indexOf(QUOTE) >= 0) return quotedRow(bytes, from, to, line, at);
    let field = 0;
    let start = from;
    for (;;) {
      let end = start;
      while (end < to && bytes[end] !== delimiter) end++;
      if (field >= width) tooMany(bytes, line, from, to);
      const column = targets[field];
      if (column) {
        let value = fastNumber(bytes, start, end);
        if (Number.isNaN(value)) {
          // The string path decides: a number the fast path does not take, or a refusal with the cell as written.
          const parsed = parseCell(bytes.toString('utf8', start, end).trim());
          if (typeof parsed === 'string') throw new SpecError(shown, undefined, { line, col: start - from + 1 }, `column "${names[field]}": ${parsed} (${NOT_A_NUMBER_HINT})`);
          value = parsed;
        }
        column[at] = value;
      }
      field++;
      if (end >= to) break;
      start = end + 1;
    }
    if (field !== width) fieldCount(line, field);
  };

  function quotedRow(bytes: Buffer, from: number, to: number, line: number, at: number): void {
    const cells = splitFields(bytes, from, to, delimiter, shown, line);
    if (cells.length !== width) fieldCount(line, cells.length);
    cells.forEach((cell, field) => {
      const column = targets[field];
      if (!column) return;
      const value = parseCell(cell.text);
      if (typeof value === 'string') throw new SpecError(shown, undefined, { line, col: cell.col }, `column "${names[field]}": ${value} (${NOT_A_NUMBER_HINT})`);
      column[at] = value;
    });
  }
  function tooMany(bytes: Buffer, line: number, from: number, to: number): never {
    let count = 1;
    for (let i = from; i < to; i++) if (bytes[i] === delimiter) count++;
    return fieldCount(line, count);
  }
  function fieldCount(line: number, count: number): never {
    throw new SpecError(shown, undefined, { line, col: 1 }, `${count} field${count === 1 ? '' : 's'} on this line; the header has ${width} (${header.join(', ')})`);
  }
}

function jsonRowParser(shown: string, wanted: readonly string[], into: ReadonlyMap<string, Float64Array>) {
  const slots = wanted.map((name) => ({ name, column: into.get(name)! }));
  return (bytes: Buffer, from: number, to: number, line: number, at: number) => {
    const object = parseJsonLine(bytes, from, to, shown, line);
    for (const slot of slots) {
      const value = Object.hasOwn(object, slot.name) ? object[slot.name] : undefined;
      if (typeof value === 'number') {
        slot.column[at] = value;
        continue;
      }
      const what = value === undefined ? 'missing' : value === null ? 'null' : `${JSON.stringify(value)}, not a number`;
      throw new SpecError(shown, undefined, { line, col: 1 }, `key "${slot.name}": ${what} (expected a finite JSON number such as 12.5 or 1e-3 on every line)`);
    }
  };
}
