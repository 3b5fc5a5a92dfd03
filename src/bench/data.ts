// The data bench (`npm run bench -- --only data`, and a section of the full bench): a generated
// ROWS × 10-column CSV (9 inputs and a target) in a temp dir, then in a fresh process each:
//  - load: `loadSweepFile` on it, as `validate` and `run` do (two passes over the file with its
//    hash, float64 columns in shared memory, the split, the load-time check of every formula on
//    every row), and the read of the table alone;
//  - a 2-worker sweep on it (wasm, a few short trials): the process's peak RSS (every thread), beside
//    the same sweep on a 2 000-row file (what node, tfjs and 2 workers take without the data).
// The columns' float64 size is ROWS × 10 × 8 bytes. Not a test: it asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.env.BENCH_DATA_ROWS ?? 1_000_000);
const INPUTS = 9;
const CHILD = fileURLToPath(new URL('./data-child.js', import.meta.url));

export interface DataBench {
  rows: number;
  columns: number;
  fileBytes: number;
  columnBytes: number;
  loadSeconds: number;
  /** Peak RSS of the load's process (node, the modules, the table and the load-time check; no workers). */
  loadPeakRssBytes: number;
  readSeconds: number;
  peakRssBytes: number;
  baselinePeakRssBytes: number;
  sweepSeconds: number;
}

/** A CSV of `rows` rows: x1…x9 uniform in [1, 10] and y = Σ log(xi)·i / 10 (written in blocks, never whole). */
export function writeDataCsv(path: string, rows: number): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  try {
    const header = `${Array.from({ length: INPUTS }, (_, i) => `x${i + 1}`).join(',')},y\n`;
    bytes += writeSync(fd, header);
    let block: string[] = [];
    for (let r = 0; r < rows; r++) {
      const xs = Array.from({ length: INPUTS }, () => 1 + 9 * next());
      const y = xs.reduce((sum, x, i) => sum + (Math.log(x) * (i + 1)) / 10, 0);
      block.push(`${xs.map((x) => x.toFixed(6)).join(',')},${y.toPrecision(10)}`);
      if (block.length === 10_000 || r === rows - 1) {
        bytes += writeSync(fd, `${block.join('\n')}\n`);
        block = [];
      }
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

export function dataSweepText(csv: string): string {
  const inputs = Array.from({ length: INPUTS }, (_, i) => `x${i + 1}`);
  return `name: bench-data
method: grid
metric: { name: l1, goal: minimize }
parameters:
  training.seed: { values: [1, 2, 3, 4] }
problem:
  data: { path: ${csv}, targets: y }
  validation: { fraction: 0.2, seed: 2 }
features:
  log: [${inputs.map((x) => `log(${x})`).join(', ')}]
model: { depth: 1, width: 16, activation: tanh }
training: { batch_size: 1000, steps: 300, eval_every: 100 }
`;
}

function child(mode: 'load' | 'sweep', sweep: string): Record<string, number> {
  const run = spawnSync(process.execPath, [CHILD, mode, sweep], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) throw new Error(`data bench child (${mode}) failed: ${run.stderr || run.stdout}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

export function benchData(): DataBench {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-data-'));
  try {
    const csv = join(dir, 'data.csv');
    const fileBytes = writeDataCsv(csv, ROWS);
    const sweep = join(dir, 'sweep.yaml');
    writeFileSync(sweep, dataSweepText(csv));
    const small = join(dir, 'small.csv');
    writeDataCsv(small, 2000);
    const smallSweep = join(dir, 'small.yaml');
    writeFileSync(smallSweep, dataSweepText(small).replace('name: bench-data', 'name: bench-data-small'));

    const load = child('load', sweep);
    const run = child('sweep', sweep);
    const baseline = child('sweep', smallSweep);
    return {
      rows: ROWS,
      columns: INPUTS + 1,
      fileBytes,
      columnBytes: ROWS * (INPUTS + 1) * 8,
      loadSeconds: load.loadSeconds!,
      loadPeakRssBytes: load.loadPeakRssBytes!,
      readSeconds: load.readSeconds!,
      peakRssBytes: run.peakRssBytes!,
      baselinePeakRssBytes: baseline.peakRssBytes!,
      sweepSeconds: run.sweepSeconds!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportData(result: DataBench): string[] {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  return [
    `data: a ${result.rows.toLocaleString('en')}-row × ${result.columns}-column CSV (${mb(result.fileBytes)}; float64 columns ${mb(result.columnBytes)})`,
    `  load (loadSweepFile: read with hash, split, ranges, every formula checked on every row): ${result.loadSeconds.toFixed(2)} s, peak RSS ${mb(result.loadPeakRssBytes)} = ${(result.loadPeakRssBytes / result.columnBytes).toFixed(2)}× the columns; the table read alone: ${result.readSeconds.toFixed(2)} s`,
    `  2-worker sweep on it (wasm, 4 trials × 300 steps, ${result.sweepSeconds.toFixed(1)} s): peak RSS ${mb(result.peakRssBytes)} = ${(result.peakRssBytes / result.columnBytes).toFixed(2)}× the columns;` +
      ` the same sweep on 2 000 rows: ${mb(result.baselinePeakRssBytes)}, so the data adds ${mb(result.peakRssBytes - result.baselinePeakRssBytes)} = ${((result.peakRssBytes - result.baselinePeakRssBytes) / result.columnBytes).toFixed(2)}× the columns`,
  ];
}

// `node dist/bench/data.js`: this section alone (what `npm run bench -- --only data` prints, without the build).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of reportData(benchData())) console.log(line);
}
