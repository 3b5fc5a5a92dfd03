// Where a problem's rows come from. One interface, two implementations: a sampled problem draws
// its variables from their distributions (seeded streams), a data problem reads the rows of its
// table (shared memory, training rows first). The trainer, the load-time check and `explain` read
// rows only through this, so neither knows which kind of problem it has.
//
// Rows here are raw: the inputs and, for a table, its target and weights columns. What is derived
// from them (target, scale, features) is computed by the caller from the compiled problem.
import { Rng, deriveSeed } from '../rng.js';
import { describePoint, pointAt, type CompiledProblem } from './compile.js';
import type { ProblemTable } from '../data/problem-table.js';
import type { SampledValidationSpec, SweepSpec } from '../spec/types.js';
import type { TrainDataSpec } from '../spec/schema.js';

export interface RawRows {
  n: number;
  /** float64 values by column name: the inputs, and a table's target (and weights) columns. */
  columns: Map<string, Float64Array>;
}

/** The training rows of one setting of `problem.train`: an endless stream, or a finite set that is shuffled every epoch. */
export type TrainingRows = { kind: 'stream'; next(n: number): RawRows } | { kind: 'finite'; rows: RawRows };

export interface DataSource {
  readonly kind: 'sampled' | 'table';
  /** The held-out rows, the same for every trial. */
  readonly validation: RawRows;
  /** The training rows for a trial's `problem.train`. */
  training(train: TrainDataSpec): TrainingRows;
  /** Rows from the training distribution that the feature standardisation of `train` is computed from. */
  normRows(train: TrainDataSpec): RawRows;
  /** The rows the load-time check evaluates every formula on, and how a message names row i. */
  checkRows(): { rows: RawRows; describe(row: number): string };
  /** The name of the sample-weights column, when the table has one. */
  readonly weights?: string;
}

/** Rows of a stream sampled at once for the standardisation statistics. */
const NORM_SAMPLES = 8192;
/** Rows the load-time check samples. */
const CHECK_SAMPLES = 4096;

/** A sampled problem's rows: seeded draws of every variable. */
export function sampledSource(spec: Pick<SweepSpec, 'problem'>, problem: CompiledProblem): DataSource {
  const validation = spec.problem.validation as SampledValidationSpec;
  // The same stream for the held-out set and the load-time check, so the data checked is the data used.
  const validationRng = () => new Rng(deriveSeed(validation.seed, 'validation'));
  const fixedSets = new Map<string, RawRows>();
  const fixedSet = (seed: number, size: number): RawRows => {
    const key = `${seed}/${size}`;
    let set = fixedSets.get(key);
    if (!set) {
      set = { n: size, columns: problem.sampleVariables(size, new Rng(deriveSeed(seed, 'train'))) };
      fixedSets.set(key, set);
    }
    return set;
  };
  let held: RawRows | undefined;
  return {
    kind: 'sampled',
    get validation() {
      held ??= { n: validation.size, columns: problem.sampleVariables(validation.size, validationRng()) };
      return held;
    },
    training(train) {
      if (train.size !== 'stream') return { kind: 'finite', rows: fixedSet(train.seed, train.size) };
      const rng = new Rng(deriveSeed(train.seed, 'train'));
      return { kind: 'stream', next: (n) => ({ n, columns: problem.sampleVariables(n, rng) }) };
    },
    normRows(train) {
      if (train.size !== 'stream') return fixedSet(train.seed, train.size);
      return { n: NORM_SAMPLES, columns: problem.sampleVariables(NORM_SAMPLES, new Rng(deriveSeed(train.seed, 'norm'))) };
    },
    checkRows() {
      const n = Math.min(CHECK_SAMPLES, validation.size);
      const columns = problem.sampleVariables(n, validationRng());
      return { rows: { n, columns }, describe: (i) => `sampled data at ${describePoint(pointAt(columns, i))}` };
    },
  };
}

/**
 * A data problem's rows: views of the shared table (no copy), training rows [0, trainRows) and
 * validation rows after them. `problem.train.size: N` trains on N of the training rows, drawn with
 * `problem.train.seed`; `stream` (the default) on all of them.
 */
export function tableSource(spec: Pick<SweepSpec, 'problem'>, table: ProblemTable, origin?: (row: number) => { file: string; line: number; unit?: 'line' | 'row' }): DataSource {
  const { trainRows, validationRows } = table;
  const view = (from: number, to: number): RawRows => ({
    n: to - from,
    columns: new Map([...table.columns].map(([name, values]) => [name, values.subarray(from, to)])),
  });
  const all = view(0, trainRows);
  const subsets = new Map<string, RawRows>();
  const subset = (train: TrainDataSpec): RawRows => {
    if (train.size === 'stream') return all;
    if (train.size > trainRows) {
      throw new TableSizeError(`problem.train.size ${train.size} is more than the ${trainRows} training rows of ${spec.problem.data?.path ?? 'the data'}`);
    }
    const key = `${train.seed}/${train.size}`;
    let rows = subsets.get(key);
    if (!rows) {
      const picked = pickRows(trainRows, train.size, new Rng(deriveSeed(train.seed, 'train')));
      rows = { n: train.size, columns: new Map([...all.columns].map(([name, values]) => [name, Float64Array.from(picked, (i) => values[i]!)])) };
      subsets.set(key, rows);
    }
    return rows;
  };
  return {
    kind: 'table',
    validation: view(trainRows, trainRows + validationRows),
    ...(spec.problem.data?.weights !== undefined ? { weights: spec.problem.data.weights } : {}),
    training: (train) => ({ kind: 'finite', rows: subset(train) }),
    normRows: subset,
    checkRows() {
      const rows = view(0, trainRows + validationRows);
      return {
        rows,
        describe(i) {
          const at = origin?.(i);
          return `${at ? `${at.unit ?? 'line'} ${at.line} of ${at.file}` : `row ${i + 1}`} (${describePoint(pointAt(rows.columns, i))})`;
        },
      };
    },
  };
}

/** A trial's `problem.train` that the table cannot serve: the trial fails with this message. */
export class TableSizeError extends Error {}

/** `count` distinct rows of `total`, in increasing order (a partial Fisher–Yates shuffle). */
function pickRows(total: number, count: number, rng: Rng): Uint32Array {
  const order = Uint32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.next() * (total - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order.slice(0, count).sort();
}

/** How many rows the sweep's held-out set has (for reports that have no DataSource at hand). */
export function validationRowCount(problem: SweepSpec['problem']): number {
  return problem.data ? problem.data.rows.validation : (problem.validation as SampledValidationSpec).size;
}
