// The data a worker trains and evaluates on, from the problem's DataSource: the sweep's fixed
// held-out validation set (made once per worker) and, for each trial's training-data settings,
// batches from the stream or the finite training set and the feature normalisation statistics
// (cached, since many trials share them).
import { Rng } from '../rng.js';
import { compileProblem, type CompiledProblem } from '../problem/compile.js';
import {
  chunkedFeatureNorm,
  rowsOf,
  dataColumns,
  featureBuffers,
  featureColumns,
  featureNorm,
  identityNorm,
  packFeatures,
  type BatchBuilder,
  type FeatureNorm,
  type HostBatch,
} from '../problem/dataset.js';
import { sampledSource, type DataSource, type RawRows } from '../problem/data-source.js';
import type { SweepSpec } from '../spec/types.js';
import type { TrainDataSpec } from '../spec/schema.js';

/** Stream data is generated this many samples at a time, to amortise the float64 work. */
const STREAM_BLOCK_SAMPLES = 16384;
/**
 * A finite training set up to this many rows is built (features, target, scale) once and shuffled
 * per epoch; a larger one is shuffled as row numbers and built a block at a time, so a big table
 * costs each worker a permutation, not a copy. Both give the same batches.
 */
const PREBUILT_ROWS = 1 << 17;
/** Rows whose features are computed at once for the statistics and the validation matrix (bounds a big table's transient memory). */
const FEATURE_CHUNK_ROWS = 1 << 13;

export interface ValidationSet {
  n: number;
  /** float64 variables + target + scale */
  columns: Map<string, Float64Array>;
}

export class ProblemData {
  readonly problem: CompiledProblem;
  readonly source: DataSource;
  readonly validation: ValidationSet;
  private readonly norms = new Map<string, FeatureNorm>();

  /** `source`: where the rows come from (default: the spec's sampled variables). */
  constructor(spec: SweepSpec, source?: (problem: CompiledProblem) => DataSource) {
    this.problem = compileProblem(spec);
    this.source = source ? source(this.problem) : sampledSource(spec, this.problem);
    const held = this.source.validation;
    this.validation = { n: held.n, columns: dataColumns(this.problem, held.columns, held.n) };
  }

  /** Standardisation statistics of a feature set, from training-distribution data (never the validation set). */
  norm(featureSet: string, mode: 'standardize' | 'none', train: TrainDataSpec): FeatureNorm {
    const count = this.problem.featureSets.get(featureSet)!.length;
    if (mode === 'none') return identityNorm(count);
    const key = `${featureSet}/${train.seed}/${train.size}`;
    let norm = this.norms.get(key);
    if (!norm) {
      const { columns, n } = this.source.normRows(train);
      norm =
        n <= FEATURE_CHUNK_ROWS
          ? featureNorm(featureColumns(this.problem, featureSet, columns, n), n)
          : chunkedFeatureNorm(this.problem, featureSet, columns, n, FEATURE_CHUNK_ROWS);
      this.norms.set(key, norm);
    }
    return norm;
  }

  /**
   * The validation set's standardised features (row-major float32). The last one made is kept:
   * consecutive trials of a feature set and normalisation share it instead of each building (and
   * dropping) a matrix of the whole held-out set, which for a large table is most of a worker's
   * memory churn.
   */
  validationFeatures(featureSet: string, norm: FeatureNorm): Float32Array {
    const key = `${featureSet}\u0000${norm.mean.join(',')}\u0000${norm.std.join(',')}`;
    if (this.lastValidationFeatures?.key === key) return this.lastValidationFeatures.features;
    this.lastValidationFeatures = undefined; // let the old matrix go before the new one is made
    const n = this.validation.n;
    const width = norm.mean.length;
    const out = new Float32Array(n * width);
    const buffers = featureBuffers(this.problem, featureSet, Math.min(FEATURE_CHUNK_ROWS, n));
    for (let start = 0; start < n; start += FEATURE_CHUNK_ROWS) {
      const size = Math.min(FEATURE_CHUNK_ROWS, n - start);
      const rows = start === 0 && size === n ? this.validation.columns : rowsOf(this.validation.columns, start, size);
      packFeatures(featureColumns(this.problem, featureSet, rows, size, buffers), norm, size, out.subarray(start * width, (start + size) * width));
    }
    this.lastValidationFeatures = { key, features: out };
    return out;
  }
  private lastValidationFeatures: { key: string; features: Float32Array } | undefined;

  /** A function returning the next training batch; every trial sees the same data in the same order for a stream. */
  trainBatches(builder: BatchBuilder, batchSize: number, shuffleSeed: number, train: TrainDataSpec): () => HostBatch {
    const rows = this.source.training(train);
    if (rows.kind === 'stream') {
      const perBlock = Math.max(1, Math.floor(STREAM_BLOCK_SAMPLES / batchSize));
      return blockBatches(() => {
        const n = perBlock * batchSize;
        return builder.build(rows.next(n).columns, n);
      }, batchSize);
    }
    const set = rows.rows;
    const rng = new Rng(shuffleSeed);
    const batch = Math.min(batchSize, set.n);
    if (set.n <= PREBUILT_ROWS) {
      const full = builder.build(set.columns, set.n, false);
      // One epoch's shuffled copy, overwritten by the next epoch (whose batches come after this one's are used up).
      const epoch = emptyLike(full);
      const order = new Uint32Array(set.n);
      return blockBatches(() => shuffled(full, rng, epoch, order), batch);
    }
    return epochBatches(builder, set, batch, rng);
  }
}

/**
 * Batches of a large finite set: each epoch a fresh permutation of its rows (the same one
 * `shuffled` would draw), built STREAM_BLOCK_SAMPLES rows at a time; a last part smaller than a
 * batch is dropped, as `blockBatches` drops it.
 */
function epochBatches(builder: BatchBuilder, set: RawRows, batchSize: number, rng: Rng): () => HostBatch {
  const n = set.n;
  const order = new Uint32Array(n);
  const perBlock = Math.max(1, Math.floor(STREAM_BLOCK_SAMPLES / batchSize));
  const names = [...set.columns.keys()];
  const sources = names.map((name) => set.columns.get(name)!);
  // One block's gathered rows, reused for every block: a block is built into batches before the
  // next is gathered, and allocating ~1 MB per column per block only fed the allocator's slack.
  const gathered = names.map(() => new Float64Array(Math.min(n, perBlock * batchSize)));
  let position = n; // start with a new epoch
  const nextBlock = (): HostBatch => {
    if (position + batchSize > n) {
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(order, rng);
      position = 0;
    }
    const batches = Math.min(perBlock, Math.floor((n - position) / batchSize));
    const size = batches * batchSize;
    const columns = new Map<string, Float64Array>();
    names.forEach((name, c) => {
      const from = sources[c]!;
      const out = gathered[c]!.subarray(0, size);
      for (let i = 0; i < size; i++) out[i] = from[order[position + i]!]!;
      columns.set(name, out);
    });
    position += size;
    return builder.build(columns, size);
  };
  return blockBatches(nextBlock, batchSize);
}

function shuffleInPlace(order: Uint32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** Serve consecutive batches out of blocks produced by `nextBlock` (a remainder smaller than a batch is dropped). */
function blockBatches(nextBlock: () => HostBatch, batchSize: number): () => HostBatch {
  let block = nextBlock();
  let offset = 0;
  return () => {
    if (offset + batchSize > block.n) {
      block = nextBlock();
      offset = 0;
    }
    const f = block.featureCount;
    const batch: HostBatch = {
      n: batchSize,
      featureCount: f,
      features: block.features.subarray(offset * f, (offset + batchSize) * f),
      columns: new Map([...block.columns].map(([k, v]) => [k, v.subarray(offset, offset + batchSize)])),
      ...(block.weights ? { weights: block.weights.subarray(offset, offset + batchSize) } : {}),
    };
    offset += batchSize;
    return batch;
  };
}

/** A batch with `batch`'s shape and arrays of its own (contents unset). */
function emptyLike(batch: HostBatch): HostBatch {
  const columns = new Map([...batch.columns.keys()].map((name) => [name, new Float64Array(batch.n)]));
  return { n: batch.n, featureCount: batch.featureCount, features: new Float32Array(batch.features.length), columns, ...(batch.weights ? { weights: new Float64Array(batch.n) } : {}) };
}

/** `batch`'s rows in a random order (one epoch of a fixed training set), written into `into` (a batch of its shape), which is returned; `order` (n long) is scratch. */
function shuffled(batch: HostBatch, rng: Rng, into: HostBatch, order: Uint32Array): HostBatch {
  const n = batch.n;
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, rng);
  const f = batch.featureCount;
  const features = into.features;
  for (let i = 0; i < n; i++) features.set(batch.features.subarray(order[i]! * f, order[i]! * f + f), i * f);
  for (const [name, values] of batch.columns) {
    const out = into.columns.get(name)!;
    for (let i = 0; i < n; i++) out[i] = values[order[i]!]!;
  }
  const weights = batch.weights;
  if (weights) for (let i = 0; i < n; i++) into.weights![i] = weights[order[i]!]!;
  return into;
}
