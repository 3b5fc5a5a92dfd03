// Problems given as Parquet or Arrow IPC files, through the real CLI: a data sweep end to end on a
// Parquet file with an Arrow validation file (run, predict --check on the same rows, explain,
// resume, a changed file refused), and bad cells and bad files refused like bad CSV cells: one
// message naming the file, the row and the column, exit 2, no DB. The files are written here with
// hyparquet-writer and apache-arrow, so each case says exactly what is in its file.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { compressionRegistry, CompressionType, Float32, Float64, Int64, makeData, RecordBatch, RecordBatchFileWriter, Table, tableFromArrays, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import lz4 from 'lz4js';
import { breathe, sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { linearDataSweep, linearPoint, recordedTrials } from '../helpers/linear-data.js';
import { readBinaryTable } from '../../src/data/binary-table.js';

/** y = 2·a + 3·b − 1 exactly; every 5th row is a validation row. */
function linearRows(n: number): { a: number[]; b: number[]; y: number[]; held: boolean[] } {
  const a: number[] = [];
  const b: number[] = [];
  const y: number[] = [];
  const held: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const point = linearPoint(i);
    a.push(point.a);
    b.push(point.b);
    y.push(point.y);
    held.push(i % 5 === 0);
  }
  return { a, b, y, held };
}

function parquet(path: string, columns: ColumnSource[], rowGroupSize = 64): string {
  writeFileSync(path, Buffer.from(parquetWriteBuffer({ columnData: columns, rowGroupSize })));
  return path;
}

function arrow(path: string, table: Table, format: 'file' | 'stream' = 'file'): string {
  writeFileSync(path, tableToIPC(table, format));
  return path;
}

/**
 * A zstd frame of raw (stored) blocks: valid zstd that any decoder must read, so the Arrow ZSTD
 * path is tested without a zstd compressor in JS.
 */
function zstdStored(data: Uint8Array): Uint8Array {
  const blocks: number[] = [0x28, 0xb5, 0x2f, 0xfd, 0xa0, ...[0, 8, 16, 24].map((s) => (data.length >>> s) & 0xff)];
  const out: Uint8Array[] = [Uint8Array.from(blocks)];
  const size = 1 << 17;
  for (let at = 0; at < data.length || at === 0; at += size) {
    const part = data.subarray(at, at + size);
    const last = at + size >= data.length ? 1 : 0;
    const header = last | (part.length << 3);
    out.push(Uint8Array.from([header & 0xff, (header >>> 8) & 0xff, (header >>> 16) & 0xff]), part);
    if (data.length === 0) break;
  }
  return Buffer.concat(out);
}

function compressedArrow(path: string, table: Table, compressionType: CompressionType): string {
  compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: (d: Uint8Array) => lz4.compress(d), decode: (d: Uint8Array) => lz4.decompress(d) });
  compressionRegistry.set(CompressionType.ZSTD, { encode: zstdStored, decode: (d: Uint8Array) => zstdDecompress(d as Uint8Array<ArrayBuffer>) });
  const writer = new RecordBatchFileWriter({ compressionType });
  writer.write(table);
  writeFileSync(path, writer.toUint8Array(true));
  return path;
}



const SWEEP = (data: string, extra = '') => linearDataSweep('linear-columnar', data, extra);

describe('reading Parquet and Arrow columns', () => {
  it('converts DOUBLE, FLOAT, INT32 and INT64 columns to float64 at the right rows, across row groups and record batches', async () => {
    const dir = tempDir();
    const n = 1000;
    const x = Array.from({ length: n }, (_, i) => i * 0.1 - 7);
    const file = parquet(
      join(dir, 't.parquet'),
      [
        { name: 'd', data: x, type: 'DOUBLE' },
        { name: 'f', data: Float32Array.from(x), type: 'FLOAT' },
        { name: 'i', data: Int32Array.from(x, (_, k) => k - 500), type: 'INT32' },
        { name: 'l', data: x.map((_, k) => BigInt(k) * 1_000_000_007n), type: 'INT64' },
        { name: 'label', data: x.map(String), type: 'STRING' },
      ],
      97, // row groups of 97 rows: chunks end mid-way
    );
    const table = await readBinaryTable(file, 't.parquet', 'parquet', ['d', 'f', 'i', 'l']);
    expect(table.header).toEqual(['d', 'f', 'i', 'l', 'label']);
    expect(table.rows).toBe(n);
    expect([...table.columns.get('d')!]).toEqual(x);
    expect([...table.columns.get('f')!]).toEqual([...Float32Array.from(x)]);
    expect([...table.columns.get('i')!]).toEqual(x.map((_, k) => k - 500));
    expect(table.columns.get('l')![999]).toBe(999 * 1_000_000_007);
    expect(table.columns.has('label')).toBe(false); // not asked for: not decoded

    const batches = [0, 1, 2].map((b) => {
      const part = x.slice(b * 400, (b + 1) * 400);
      return new RecordBatch({
        d: makeData({ type: new Float64(), data: Float64Array.from(part) }),
        f: makeData({ type: new Float32(), data: Float32Array.from(part) }),
        l: makeData({ type: new Int64(), data: BigInt64Array.from(part, (_, k) => BigInt(b * 400 + k)) }),
      });
    });
    const arrowFile = arrow(join(dir, 't.arrow'), new Table(batches));
    const fromArrow = await readBinaryTable(arrowFile, 't.arrow', 'arrow');
    expect(fromArrow.rows).toBe(n);
    expect([...fromArrow.columns.get('d')!]).toEqual(x);
    expect([...fromArrow.columns.get('f')!]).toEqual([...Float32Array.from(x)]);
    expect([...fromArrow.columns.get('l')!]).toEqual(x.map((_, k) => k));
  });
});

describe('compressed Arrow files (LZ4 frames, pyarrow\'s Feather default, and ZSTD)', () => {
  it('reads them through the CLI with the same values', async () => {
    const dir = tempDir();
    const { a, b, y } = linearRows(5000);
    const table = tableFromArrays({ a: Float64Array.from(a), b: Float64Array.from(b), y: Float64Array.from(y) });
    for (const [name, type] of [['lz4.feather', CompressionType.LZ4_FRAME], ['zstd.arrow', CompressionType.ZSTD]] as const) {
      const file = compressedArrow(join(dir, name), table, type);
      // Compressed for real (LZ4) or framed (ZSTD, stored blocks): read only through the registered codecs.
      const read = await readBinaryTable(file, name, 'arrow');
      expect([...read.columns.get('b')!]).toEqual(b);
      writeFileSync(join(dir, 'sweep.yaml'), SWEEP(name));
      const validate = sweepdeck(['validate', join(dir, 'sweep.yaml')]);
      expect(validate.code, validate.stderr).toBe(0);
      expect(validate.stdout).toContain('5000 rows, 4000 for training and 1000 held out');
    }
    expect(readFileSync(join(dir, 'lz4.feather')).length).toBeLessThan(5000 * 3 * 8);
  }, 60_000);
});

describe('a data sweep on a Parquet file, validated on an Arrow file', () => {
  it('trains on the Parquet rows, holds out the Arrow rows, and predict, explain and resume read the same data', async () => {
    const dir = tempDir();
    const { a, b, y, held } = linearRows(300);
    const pick = <T>(values: T[], wanted: boolean) => values.filter((_, i) => held[i] === wanted);
    // Extra columns of other types that the sweep does not use are fine.
    parquet(join(dir, 'train.parquet'), [
      { name: 'a', data: pick(a, false), type: 'DOUBLE' },
      { name: 'b', data: Float32Array.from(pick(b, false)), type: 'FLOAT' },
      { name: 'y', data: pick(y, false), type: 'DOUBLE' },
      { name: 'note', data: pick(a, false).map(() => 'ok'), type: 'STRING' },
    ]);
    const bHeld = Float32Array.from(pick(b, true));
    arrow(join(dir, 'val.feather'), tableFromArrays({ y: Float64Array.from(pick(y, true)), b: bHeld, a: Float64Array.from(pick(a, true)) }));
    // The same held-out rows as CSV, for predict --check (b as the float32 the files hold).
    writeFileSync(join(dir, 'val.csv'), 'a,b,y\n' + pick(a, true).map((v, i) => `${v},${bHeld[i]},${pick(y, true)[i]}`).join('\n') + '\n');
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, SWEEP('train.parquet', '  validation: { path: val.feather }\n'));

    const validate = sweepdeck(['validate', file]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('300 rows, 240 for training and 60 held out; target column y');
    const db = join(dir, 'out.db');
    const run = sweepdeck(['run', file, '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const [trial] = recordedTrials(db);
    expect(trial!.state).toBe('complete');
    expect(trial!.value!).toBeLessThan(0.1);

    const check = sweepdeck(['predict', db, '--input', join(dir, 'val.csv'), '--check', '--json']);
    expect(check.code, check.stderr).toBe(0);
    const report = JSON.parse(check.stdout) as { check: { l1: { rows: number; mean: number } } };
    expect(report.check.l1.rows).toBe(60);
    expect(report.check.l1.mean).toBeCloseTo(trial!.value!, 6);
    // predict reads the Arrow file itself, and the Parquet one: its rows are numbered as rows.
    await breathe();
    const feather = sweepdeck(['predict', db, '--input', join(dir, 'val.feather'), '--check', '--json']);
    expect(feather.code, feather.stderr).toBe(0);
    const fromFeather = JSON.parse(feather.stdout) as { check: { l1: { rows: number; mean: number } }; rows: { row: number; line?: number }[] };
    expect(fromFeather.check.l1).toEqual(report.check.l1);
    expect(fromFeather.rows[59]).toMatchObject({ row: 60 });
    expect(fromFeather.rows[0]!.line).toBeUndefined();
    const onTrain = sweepdeck(['predict', db, '--input', join(dir, 'train.parquet')]);
    expect(onTrain.code, onTrain.stderr).toBe(0);
    expect(onTrain.stdout).toMatch(/240 rows from .*train\.parquet/);
    expect(onTrain.stdout).toMatch(/^ *row +a +b +pred/m);
    await breathe();
    parquet(join(dir, 'typo.parquet'), [{ name: 'a', data: [3], type: 'DOUBLE' }, { name: 'B', data: [4], type: 'DOUBLE' }]);
    const typo = sweepdeck(['predict', db, '--input', join(dir, 'typo.parquet')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/typo\.parquet: no column "b" \(did you mean "B"\?\)/);
    parquet(join(dir, 'null.parquet'), [{ name: 'a', data: [3, null], type: 'DOUBLE' }, { name: 'b', data: [4, 5], type: 'DOUBLE' }]);
    const missing = sweepdeck(['predict', db, '--input', join(dir, 'null.parquet')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/null\.parquet: row 2, column "a": null/);
    const explain = sweepdeck(['explain', db]);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(/held-out/);
    const again = sweepdeck(['resume', db, '--workers', '1', '--backend', 'wasm', '--no-tui']);
    expect(again.code, again.stderr + again.stdout).toBe(0);

    // A changed Parquet file is refused like a changed CSV.
    parquet(join(dir, 'train.parquet'), [
      { name: 'a', data: pick(a, false), type: 'DOUBLE' },
      { name: 'b', data: pick(b, false), type: 'DOUBLE' },
      { name: 'y', data: pick(y, false), type: 'DOUBLE' },
    ]);
    const changed = sweepdeck(['resume', db, '--no-tui']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/resume .*: the data file has changed since the sweep was created/);
  }, 180_000);
});

describe('bad Parquet and Arrow data: one message naming file, row and column, exit 2, no DB', () => {
  const { a, b, y } = linearRows(100);
  const withNull = (values: number[], at: number) => values.map((v, i) => (i === at ? null : v));
  const cases: { name: string; write: (dir: string) => string; sweep?: (file: string) => string; expected: RegExp }[] = [
    {
      name: 'a null cell in a Parquet input',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 'b', data: withNull(b, 70), type: 'DOUBLE' }, { name: 'y', data: y, type: 'DOUBLE' }]),
      expected: /data\.parquet: row 71, column "b": null \(expected a finite number; a missing value must be filled in or its row removed\)/,
    },
    {
      name: 'a string column as a Parquet input',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a.map((v) => `${v} m`), type: 'STRING' }, { name: 'b', data: b, type: 'DOUBLE' }, { name: 'y', data: y, type: 'DOUBLE' }]),
      expected: /data\.parquet: row 1, column "a": "1 m" is not a number/,
    },
    {
      name: 'a NaN in a Parquet target',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 'b', data: b, type: 'DOUBLE' }, { name: 'y', data: y.map((v, i) => (i === 5 ? NaN : v)), type: 'DOUBLE' }]),
      expected: /data\.parquet: row 6, column "y": NaN \(NaN and infinities are not data\)/,
    },
    {
      name: 'a boolean Parquet column',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 'b', data: b.map((v) => v > 3), type: 'BOOLEAN' }, { name: 'y', data: y, type: 'DOUBLE' }]),
      expected: /data\.parquet: row 1, column "b": false is not a number \(a boolean column\)/,
    },
    {
      name: 'a Parquet column not named in the file',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 'B', data: b, type: 'DOUBLE' }, { name: 'y', data: y, type: 'DOUBLE' }]),
      expected: /problem\.data\.inputs\.1: no column "b" in .*data\.parquet \(did you mean "B"\?\); its header has: a, B, y/,
    },
    {
      name: 'a negative weight in a Parquet file',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 'b', data: b, type: 'DOUBLE' }, { name: 'y', data: y, type: 'DOUBLE' }, { name: 'w', data: a.map((_, i) => (i === 7 ? -1 : 1)), type: 'DOUBLE' }]),
      sweep: (file) => SWEEP(file).replace('    targets: y\n', '    targets: y\n    weights: w\n'),
      expected: /data\.parquet: row 8: column "w": -1 \(loss weights must be 0 or more\)/,
    },
    {
      name: 'a feature that is NaN on a row of a Parquet file',
      write: (dir) => parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a.map((v, i) => (i === 30 ? -1 : v)), type: 'DOUBLE' }, { name: 'b', data: b, type: 'DOUBLE' }, { name: 'y', data: y, type: 'DOUBLE' }]),
      sweep: (file) => SWEEP(file).replace('raw: [a, b]', 'raw: [log(a), b]'),
      expected: /features\.raw\.0: feature 1 of set "raw" \(log\(a\)\) is NaN on row 31 of .*data\.parquet \(a=-1, b=.*\): log\(a\) is log of -1/,
    },
    {
      name: 'a file that is not Parquet',
      write: (dir) => {
        writeFileSync(join(dir, 'data.parquet'), 'a,b,y\n1,2,7\n');
        return join(dir, 'data.parquet');
      },
      expected: /data\.parquet: not a Parquet file: /,
    },
    {
      name: 'a null cell in an Arrow input',
      write: (dir) => arrow(join(dir, 'data.arrow'), new Table({ a: vectorFromArray(withNull(a, 41), new Float64()), b: vectorFromArray(b, new Float64()), y: vectorFromArray(y, new Float64()) })),
      expected: /data\.arrow: row 42, column "a": null \(expected a finite number, and the column's type is Float64; a missing value must be filled in or its row removed\)/,
    },
    {
      name: 'an Infinity in an Arrow stream',
      write: (dir) => arrow(join(dir, 'data.ipc'), tableFromArrays({ a: Float64Array.from(a), b: Float64Array.from(b, (v, i) => (i === 3 ? -Infinity : v)), y: Float64Array.from(y) }), 'stream'),
      expected: /data\.ipc: row 4, column "b": -Infinity \(NaN and infinities are not data\)/,
    },
    {
      name: 'a string column in an Arrow file',
      write: (dir) => arrow(join(dir, 'data.feather'), new Table({ a: vectorFromArray(a.map(String), new Utf8()), b: vectorFromArray(b, new Float64()), y: vectorFromArray(y, new Float64()) })),
      expected: /data\.feather: row 1, column "a": "1" is not a number \(expected a finite number, and the column's type is Utf8/,
    },
    {
      name: 'a file that is not Arrow',
      write: (dir) => {
        writeFileSync(join(dir, 'data.arrow'), 'a,b,y\n1,2,7\n');
        return join(dir, 'data.arrow');
      },
      expected: /data\.arrow: not an Arrow IPC file/,
    },
    {
      name: 'an Arrow validation file without a column',
      write: (dir) => {
        arrow(join(dir, 'val.arrow'), tableFromArrays({ a: Float64Array.from(a), y: Float64Array.from(y) }));
        return parquet(join(dir, 'data.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 'b', data: b, type: 'DOUBLE' }, { name: 'y', data: y, type: 'DOUBLE' }]);
      },
      sweep: (file) => SWEEP(file, '  validation: { path: val.arrow }\n'),
      expected: /problem\.validation\.path: no column "b" in the validation file .*val\.arrow/,
    },
    {
      name: 'a missing Parquet file',
      write: (dir) => join(dir, 'nowhere.parquet'),
      expected: /nowhere\.parquet: cannot read the data file: no such file/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dir = tempDir();
      const data = c.write(dir);
      const name = data.slice(dir.length + 1);
      const file = join(dir, 'sweep.yaml');
      writeFileSync(file, (c.sweep ?? SWEEP)(name));
      const db = join(dir, 'out.db');
      for (const args of [['validate', file], ['run', file, '--db', db, '--no-tui']]) {
        const result = sweepdeck(args);
        expect(result.code, result.stdout + result.stderr).toBe(2);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(c.expected);
        expect(existsSync(db)).toBe(false);
      }
    }, 60_000);
  }
});
