// Turns sampled variables into what the trainer consumes: a float32 feature matrix (standardised
// with statistics computed in float64) and the float64 data columns the head and loss read.
// Everything is computed in float64; float32 is only the network's input format.
import { explainNonFinite } from '../formula/index.js';
import { describePoint, pointAt, type CompiledProblem } from './compile.js';

/** A training sample where a feature is NaN/±Inf: the load-time check samples only part of the domain. */
export class FeatureError extends Error {}

export interface FeatureNorm {
  mean: number[];
  std: number[];
}

export interface HostBatch {
  n: number;
  featureCount: number;
  /** n × featureCount, row-major */
  features: Float32Array;
  /** The data columns (variables, target, scale) that the head and loss read, by name. */
  columns: Map<string, Float64Array>;
  /** Per-row loss weights (a data problem's `weights` column); absent: every row weighs 1. */
  weights?: Float64Array;
}

/** The float64 columns of a sample: variables plus each target's `target` and `scale` (`target.y1`, `scale.y1` with named targets). */
export function dataColumns(
  problem: CompiledProblem,
  variables: Map<string, Float64Array>,
  n: number,
  withTargets = true,
  /** A buffer (at least n long) to write a derived column into, instead of a new array. */
  into?: (name: string) => Float64Array,
): Map<string, Float64Array> {
  const columns = new Map(variables);
  for (const target of problem.targets) {
    // A data problem's target reads its target columns, which predict's input has only with --check.
    if (withTargets) columns.set(target.columns.target, target.target.evaluate(variables, n, into?.(target.columns.target)));
    if (target.scale) columns.set(target.columns.scale, target.scale.evaluate(variables, n, into?.(target.columns.scale)));
  }
  return columns;
}

/** Each feature of a set over n rows; with `into` (one buffer per feature, each at least n long) written there instead of into new arrays. */
export function featureColumns(problem: CompiledProblem, featureSet: string, variables: Map<string, Float64Array>, n: number, into?: Float64Array[]): Float64Array[] {
  const formulas = problem.featureSets.get(featureSet);
  if (!formulas) throw new Error(`unknown feature set "${featureSet}"`);
  return formulas.map((f, j) => f.evaluate(variables, n, into?.[j]));
}

/** One reusable buffer of `rows` per feature of a set, for chunk-at-a-time feature evaluation. */
export function featureBuffers(problem: CompiledProblem, featureSet: string, rows: number): Float64Array[] {
  return problem.featureSets.get(featureSet)!.map(() => new Float64Array(rows));
}

/** Mean and standard deviation of each feature (a constant feature gets std 1, so it passes unchanged). */
export function featureNorm(features: Float64Array[], n: number): FeatureNorm {
  const mean: number[] = [];
  const std: number[] = [];
  for (const column of features) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += column[i]!;
    const m = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (column[i]! - m) ** 2;
    const s = Math.sqrt(squares / n);
    mean.push(m);
    std.push(s > 1e-12 * Math.max(1, Math.abs(m)) ? s : 1);
  }
  return { mean, std };
}

/**
 * featureNorm over many rows without holding every feature column at once: the statistics of
 * chunks of `chunk` rows, combined exactly (Chan et al.'s pairwise update of mean and squared
 * deviations). Equal to featureNorm up to rounding.
 */
export function chunkedFeatureNorm(problem: CompiledProblem, featureSet: string, variables: Map<string, Float64Array>, n: number, chunk: number): FeatureNorm {
  const count = problem.featureSets.get(featureSet)!.length;
  const mean = new Array<number>(count).fill(0);
  const squares = new Array<number>(count).fill(0);
  let seen = 0;
  const buffers = featureBuffers(problem, featureSet, Math.min(chunk, n));
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const features = featureColumns(problem, featureSet, rowsOf(variables, start, size), size, buffers);
    features.forEach((column, j) => {
      let sum = 0;
      for (let i = 0; i < size; i++) sum += column[i]!;
      const m = sum / size;
      let m2 = 0;
      for (let i = 0; i < size; i++) m2 += (column[i]! - m) ** 2;
      const total = seen + size;
      const delta = m - mean[j]!;
      mean[j] = mean[j]! + (delta * size) / total;
      squares[j] = squares[j]! + m2 + (delta * delta * seen * size) / total;
    });
    seen += size;
  }
  const std = squares.map((q, j) => {
    const s = Math.sqrt(q / n);
    return s > 1e-12 * Math.max(1, Math.abs(mean[j]!)) ? s : 1;
  });
  return { mean, std };
}

/** Views of rows [start, start + size) of every column (no copy). */
export function rowsOf(columns: Map<string, Float64Array>, start: number, size: number): Map<string, Float64Array> {
  return new Map([...columns].map(([name, values]) => [name, values.subarray(start, start + size)]));
}

export function identityNorm(count: number): FeatureNorm {
  return { mean: new Array<number>(count).fill(0), std: new Array<number>(count).fill(1) };
}

/** Row-major float32 matrix of standardised features (written into `out` when given: n × width values). */
export function packFeatures(features: Float64Array[], norm: FeatureNorm, n: number, out = new Float32Array(n * features.length)): Float32Array {
  const width = features.length;
  for (let j = 0; j < width; j++) {
    const column = features[j]!;
    const mean = norm.mean[j]!;
    const inv = 1 / norm.std[j]!;
    for (let i = 0; i < n; i++) out[i * width + j] = (column[i]! - mean) * inv;
  }
  return out;
}

/** Builds of up to this many rows (a block of batches) evaluate features into reused buffers. */
const SCRATCH_ROWS = 1 << 15;

/**
 * Builds batches for one trial: the feature set with its normalisation, and the data columns
 * (by name: variables, target, scale) that the head and loss read.
 */
export class BatchBuilder {
  constructor(
    private readonly problem: CompiledProblem,
    private readonly featureSet: string,
    readonly norm: FeatureNorm,
    private readonly columnNames: readonly string[],
    /** The raw column holding per-row loss weights, if any. */
    private readonly weightsColumn?: string,
  ) {}

  /** The features' float64 values, reused by every build (they are packed into the batch's float32 matrix before it returns). */
  private scratch: Float64Array[] = [];
  /**
   * A block's own arrays (its float32 features, its derived columns), reused by the next block:
   * a block's batches are used up before the next block is built. Allocating them afresh for every
   * block of a long run was most of a worker's memory churn, and freed blocks of that size are not
   * given back to the system by the allocator (a worker's resident memory grew by tens of MB).
   */
  private blockFeatures = new Float32Array(0);
  private readonly blockColumns = new Map<string, Float64Array>();

  /**
   * The batch of `n` rows of `variables`. With `reuse` (the default for a block of up to
   * SCRATCH_ROWS rows) its arrays are the builder's own and the next reusing build overwrites them.
   */
  build(variables: Map<string, Float64Array>, n: number, reuse = n <= SCRATCH_ROWS): HostBatch {
    const data = dataColumns(this.problem, variables, n, true, reuse ? (name) => this.blockColumn(name, n) : undefined);
    if (reuse && (this.scratch[0]?.length ?? -1) < n) this.scratch = featureBuffers(this.problem, this.featureSet, n);
    const features = featureColumns(this.problem, this.featureSet, variables, n, reuse ? this.scratch : undefined);
    this.assertFinite(features, variables, n);
    const columns = new Map<string, Float64Array>();
    for (const name of this.columnNames) {
      const values = data.get(name);
      if (!values) throw new Error(`no data column "${name}"`);
      columns.set(name, values);
    }
    const width = features.length;
    if (reuse && this.blockFeatures.length < n * width) this.blockFeatures = new Float32Array(n * width);
    const packed = packFeatures(features, this.norm, n, reuse ? this.blockFeatures.subarray(0, n * width) : undefined);
    const batch: HostBatch = { n, featureCount: width, features: packed, columns };
    if (this.weightsColumn !== undefined) batch.weights = variables.get(this.weightsColumn)!;
    return batch;
  }

  private blockColumn(name: string, n: number): Float64Array {
    let buffer = this.blockColumns.get(name);
    if (!buffer || buffer.length < n) this.blockColumns.set(name, (buffer = new Float64Array(n)));
    return buffer;
  }

  private assertFinite(features: Float64Array[], variables: Map<string, Float64Array>, n: number): void {
    features.forEach((column, j) => {
      for (let i = 0; i < n; i++) {
        if (Number.isFinite(column[i]!)) continue;
        const formula = this.problem.featureSets.get(this.featureSet)![j]!.formula;
        const point = pointAt(variables, i);
        const why = explainNonFinite(formula, point) ?? `it is ${column[i]}`;
        throw new FeatureError(
          `feature ${j + 1} of set "${this.featureSet}" (${formula.source}) is ${column[i]} on training data at ${describePoint(point)}: ${why}`,
        );
      }
    });
  }
}
