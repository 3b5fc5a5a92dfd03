// The data a worker trains and evaluates on: the sweep's fixed held-out validation set (made once
// per worker) and, for each trial's training-data settings, the stream or fixed training set and
// the feature normalisation statistics (cached, since many trials share them).
import { Rng, deriveSeed } from '../rng.js';
import { compileProblem, type CompiledProblem } from '../problem/compile.js';
import {
  dataColumns,
  featureColumns,
  featureNorm,
  identityNorm,
  packFeatures,
  type BatchBuilder,
  type FeatureNorm,
  type HostBatch,
} from '../problem/dataset.js';
import type { SweepSpec } from '../spec/types.js';
import type { TrainDataSpec } from '../spec/schema.js';

const NORM_SAMPLES = 8192;
/** Stream data is generated this many samples at a time, to amortise the float64 work. */
const STREAM_BLOCK_SAMPLES = 16384;

export interface ValidationSet {
  n: number;
  /** float64 variables + target + scale */
  columns: Map<string, Float64Array>;
}

export class ProblemData {
  readonly problem: CompiledProblem;
  readonly validation: ValidationSet;
  private readonly norms = new Map<string, FeatureNorm>();
  private readonly fixedTrainSets = new Map<string, Map<string, Float64Array>>();

  constructor(spec: SweepSpec) {
    this.problem = compileProblem(spec);
    const n = spec.problem.validation.size;
    // Same stream as the load-time check, so the data that was checked is the data that is used.
    const variables = this.problem.sampleVariables(n, new Rng(deriveSeed(spec.problem.validation.seed, 'validation')));
    this.validation = { n, columns: dataColumns(this.problem, variables, n) };
  }

  /** Standardisation statistics of a feature set, from training-distribution data (never the validation set). */
  norm(featureSet: string, mode: 'standardize' | 'none', train: TrainDataSpec): FeatureNorm {
    const count = this.problem.featureSets.get(featureSet)!.length;
    if (mode === 'none') return identityNorm(count);
    const key = `${featureSet}/${train.seed}/${train.size}`;
    let norm = this.norms.get(key);
    if (!norm) {
      const { variables, n } = this.normSample(train);
      norm = featureNorm(featureColumns(this.problem, featureSet, variables, n), n);
      this.norms.set(key, norm);
    }
    return norm;
  }

  validationFeatures(featureSet: string, norm: FeatureNorm): Float32Array {
    const n = this.validation.n;
    return packFeatures(featureColumns(this.problem, featureSet, this.validation.columns, n), norm, n);
  }

  /** A function returning the next training batch; every trial sees the same data in the same order for a stream. */
  trainBatches(builder: BatchBuilder, batchSize: number, shuffleSeed: number, train: TrainDataSpec): () => HostBatch {
    if (train.size === 'stream') {
      const rng = new Rng(deriveSeed(train.seed, 'train'));
      const perBlock = Math.max(1, Math.floor(STREAM_BLOCK_SAMPLES / batchSize));
      return blockBatches(() => {
        const n = perBlock * batchSize;
        return builder.build(this.problem.sampleVariables(n, rng), n);
      }, batchSize);
    }
    const set = this.fixedSet(train);
    const size = train.size;
    const full = builder.build(set, size);
    const rng = new Rng(shuffleSeed);
    const batch = Math.min(batchSize, size);
    return blockBatches(() => shuffled(full, rng), batch);
  }

  private fixedSet(train: TrainDataSpec): Map<string, Float64Array> {
    if (train.size === 'stream') throw new Error('no fixed training set for a stream');
    const key = `${train.seed}/${train.size}`;
    let set = this.fixedTrainSets.get(key);
    if (!set) {
      set = this.problem.sampleVariables(train.size, new Rng(deriveSeed(train.seed, 'train')));
      this.fixedTrainSets.set(key, set);
    }
    return set;
  }

  private normSample(train: TrainDataSpec): { variables: Map<string, Float64Array>; n: number } {
    if (train.size !== 'stream') return { variables: this.fixedSet(train), n: train.size };
    return { variables: this.problem.sampleVariables(NORM_SAMPLES, new Rng(deriveSeed(train.seed, 'norm'))), n: NORM_SAMPLES };
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
    };
    offset += batchSize;
    return batch;
  };
}

/** A copy of `batch` with its rows in a random order (one epoch of a fixed training set). */
function shuffled(batch: HostBatch, rng: Rng): HostBatch {
  const n = batch.n;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const f = batch.featureCount;
  const features = new Float32Array(n * f);
  for (let i = 0; i < n; i++) features.set(batch.features.subarray(order[i]! * f, order[i]! * f + f), i * f);
  const columns = new Map<string, Float64Array>();
  for (const [name, values] of batch.columns) columns.set(name, Float64Array.from(order, (k) => values[k]!));
  return { n, featureCount: f, features, columns };
}
