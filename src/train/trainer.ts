// Trains one trial: builds the MLP, runs the optimiser over the training stream with the trial's
// head, loss and learning-rate schedule, and evaluates the held-out set every `eval_every` steps.
// It knows nothing about pools or storage: results leave through the hooks.
//
// One step: upload the batch's features, run the network forward (tfjs), read its output back,
// compute the loss and d(loss)/d(net) on the host in float64 (loss.ts), run the network's backward
// pass (tfjs, model.ts) and update the parameters (optimizer.ts). The loss is known on the host at
// every step, so divergence is caught at the step where it happens, for free.
import { BatchBuilder, rowsOf, type FeatureNorm, type HostBatch } from '../problem/dataset.js';
import { evaluateTargetMetrics, summarizeTargetMetrics, type TargetMetric } from '../problem/target-metrics.js';
import { compileFormula } from '../problem/compile.js';
import { headNames, lossNames } from '../spec/names.js';
import { trialTargets } from '../spec/resolve.js';
import { blockDiagonal, buildMlp, type TrainedModel } from './model.js';
import { compileTargetLosses } from './loss.js';
import { makeParameterUpdate } from './optimizer.js';
import { deriveSeed } from '../rng.js';
import { LrSchedule } from './schedule.js';
import type { ProblemData } from './data.js';
import type { LoadedBackend } from './backend.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';

export type MetricValues = Record<string, number>;

/** What the orchestrator answers to an evaluation: go on, or end the trial as pruned (its pruner's decision). */
export type EvalVerdict = 'continue' | 'prune';

export interface TrainHooks {
  /** Called at every evaluation with the step reached and the metrics at that step; 'prune' ends the trial there. */
  onEval(step: number, metrics: MetricValues): EvalVerdict | void;
  /** Polled between steps; true ends the trial early (it is then reported as stopped). */
  shouldStop(): boolean;
}

export interface TrialOutcome {
  state: 'complete' | 'pruned' | 'failed' | 'stopped';
  /** The sweep metric at the last evaluation (null when failed before any). */
  value: number | null;
  step: number;
  error?: string;
  metrics: MetricValues;
  /** The trained network with its input normalisation; only on 'complete'. */
  model?: TrainedModel;
}

/**
 * Rows of the validation set evaluated at a time: per forward pass, and per step of the heads and
 * metrics after it. Bounds a worker's memory for a large held-out set (a data table's): only the
 * per-sample metric values are ever held for the whole set, since their median and p90 need all.
 * (Each forward pass has a fixed cost of about a millisecond on wasm: 4096 made an evaluation of
 * 200 000 rows a third slower than 8192, for 4 MB less.)
 */
export const EVAL_CHUNK = 8192;

/** Runs the network over the held-out set a chunk at a time, handing each chunk's output to the trial's `evaluationChunk`. */
export type ValidationPass = () => void;

/** A name a loss or head reads that is a network output or a head, not a data column. */
const isNetworkName = (name: string): boolean => name === 'net' || name === 'pred' || name.startsWith('net.') || name.startsWith('pred.');

/**
 * One trial's own part of training, whatever network computes its output: its targets' heads and
 * training loss, its learning-rate schedule, its evaluations and its bookkeeping (step, running
 * loss, verdicts, how it ends). trainTrial gives it a network of its own; a pack (pack.ts) runs
 * several of these over one batched network.
 */
export class TrialRun {
  readonly targets: ReturnType<typeof trialTargets>;
  /** The data columns this trial's training loss reads (the batches must carry them). */
  readonly columnNames: string[];
  readonly norm: FeatureNorm;
  /** Outputs of the network: one per target. */
  readonly outputs: number;
  step = 0;
  private readonly heads: ReturnType<typeof compileFormula>[];
  private readonly trainingLoss: ReturnType<typeof compileTargetLosses>;
  private readonly schedule: LrSchedule;
  private lastMetrics: MetricValues = {};
  private value: number | null = null;
  private lossSum = 0;
  private lossCount = 0;
  private trainSeconds = 0;
  private stepsSinceEval = 0;
  /** Each per-sample metric's values on the whole held-out set (metric by metric, target by target), reused by every evaluation. */
  private readonly metricBuffers: Float64Array[];
  /** Each target's network output and prediction on one chunk, reused by every chunk. */
  private readonly netChunks: Float64Array[];
  private readonly predChunks: Float64Array[];
  /** The metrics of the evaluation in progress (keys and values), and the first error it met. */
  private chunkMetrics: TargetMetric[] = [];
  private evaluationError: { error: unknown } | undefined;

  constructor(
    private readonly spec: SweepSpec,
    private readonly data: ProblemData,
    readonly config: TrialConfig,
    readonly hooks: TrainHooks,
  ) {
    const targets = (this.targets = trialTargets(spec, config));
    this.outputs = targets.length;
    // The heads run in float64 twice: in the training loss (with its derivative) and at evaluation.
    const heads = (this.heads = targets.map((t) => compileFormula(t.head, headNames(t.scopes))));
    const losses = targets.map((t) => compileFormula(t.loss, lossNames(t.scopes)).formula);
    // The data columns the batches must carry: what the losses read, and the heads of the targets whose prediction a loss reads.
    const own = (t: (typeof targets)[number], name: string) => (name === 'target' ? t.columns.target : name === 'scale' ? t.columns.scale : name);
    const predsRead = new Set<number>();
    losses.forEach((loss, t) => {
      for (const name of loss.names) {
        if (name === 'pred') predsRead.add(t);
        else if (name.startsWith('pred.')) predsRead.add(targets.findIndex((x) => `pred.${x.name}` === name));
      }
    });
    this.columnNames = [
      ...new Set([
        ...losses.flatMap((loss, t) => loss.names.filter((name) => !isNetworkName(name)).map((name) => own(targets[t]!, name))),
        ...[...predsRead].flatMap((t) => heads[t]!.formula.names.filter((name) => !isNetworkName(name)).map((name) => own(targets[t]!, name))),
      ]),
    ];
    this.trainingLoss = compileTargetLosses(
      targets.map((t, i) => ({ name: t.name, head: heads[i]!.formula, loss: losses[i]!, weight: t.weight, columns: t.columns })),
      config.training.batch_size,
    );
    this.schedule = new LrSchedule(config.training.schedule, config.training.lr, config.training.steps);
    this.norm = data.norm(config.features, config.model.input_norm, config.train);
    this.metricBuffers = Array.from({ length: data.problem.metrics.size * data.problem.targets.length }, () => new Float64Array(data.validation.n));
    this.netChunks = targets.map(() => new Float64Array(EVAL_CHUNK));
    this.predChunks = targets.map(() => new Float64Array(EVAL_CHUNK));
  }

  get done(): boolean {
    return this.step >= this.config.training.steps;
  }

  /** The learning rate of the coming step. */
  lr(): number {
    return this.schedule.lrAt(this.step);
  }

  /** The batch's training loss from the network's output (n × outputs, row-major), with d(loss)/d(net) written into `dnet`. */
  loss(net: Float32Array, batch: HostBatch, dnet: Float32Array): number {
    return this.trainingLoss.evaluate(net, batch.columns, batch.n, dnet, batch.weights);
  }

  /** Whether the step about to be counted by `afterStep` evaluates. */
  evaluatesAfterStep(): boolean {
    return this.evaluatesAt(this.step + 1);
  }

  /** Evaluations come every `eval_every` steps and at the last step. */
  private evaluatesAt(step: number): boolean {
    return step % this.config.training.eval_every === 0 || step === this.config.training.steps;
  }

  /**
   * Count one step that took `seconds` and gave `lossValue`; at an evaluation step, run
   * `validationPass` (which hands this run every chunk of its held-out output through
   * `evaluationChunk`; a pack runs it once for all its members) and ask the hooks.
   * Returns the trial's outcome when it ends here (diverged, or pruned); complete() ends it otherwise.
   */
  afterStep(lossValue: number, lr: number, seconds: number, validationPass: ValidationPass): TrialOutcome | undefined {
    this.trainSeconds += seconds;
    this.step++;
    this.stepsSinceEval++;
    const { step } = this;
    if (!Number.isFinite(lossValue)) {
      return { state: 'failed', value: null, step, error: `diverged: training loss is ${lossValue} at step ${step}`, metrics: this.lastMetrics };
    }
    this.schedule.observe(lossValue);
    this.lossSum += lossValue;
    this.lossCount++;
    if (!this.evaluatesAt(step)) return undefined;
    const metrics = this.evaluate(validationPass);
    metrics.train_loss = this.lossSum / this.lossCount;
    metrics.lr = lr;
    metrics.steps_per_s = this.trainSeconds > 0 ? this.stepsSinceEval / this.trainSeconds : 0;
    this.lossSum = this.lossCount = this.trainSeconds = this.stepsSinceEval = 0;
    this.lastMetrics = metrics;
    const verdict = this.hooks.onEval(step, metrics);
    const sweepMetric = this.spec.metric.name;
    this.value = metrics[sweepMetric]!;
    if (!Number.isFinite(this.value)) {
      return { state: 'failed', value: null, step, error: `diverged: validation ${sweepMetric} is ${this.value} at step ${step}`, metrics };
    }
    if (verdict === 'prune' && step < this.config.training.steps) return { state: 'pruned', value: this.value, step, metrics };
    return undefined;
  }

  /** The outcome of a trial asked to stop before its next step. */
  stopped(): TrialOutcome {
    return { state: 'stopped', value: this.value, step: this.step, metrics: this.lastMetrics };
  }

  /** The outcome of a trial that ran all its steps, with its trained weights. */
  complete(weights: Omit<TrainedModel, 'norm'>): TrialOutcome {
    const named = this.data.problem.namedTargets;
    const model: TrainedModel = { ...weights, norm: this.norm, ...(named ? { outputs: this.targets.map((t) => t.name) } : {}) };
    return { state: 'complete', value: this.value, step: this.step, metrics: this.lastMetrics, model };
  }

  /**
   * The heads and per-sample metrics on rows [start, start + size) of the held-out set, from the
   * network's output there (size × outputs, row-major; size ≤ EVAL_CHUNK). Heads and metrics are
   * row by row, so chunks give what the whole set at once would.
   */
  evaluationChunk(start: number, size: number, net: Float32Array): void {
    if (start === 0) this.evaluationError = undefined; // a new evaluation
    if (this.evaluationError) return;
    try {
      const { data } = this;
      const named = data.problem.namedTargets;
      const k = this.outputs;
      const columns = rowsOf(data.validation.columns, start, size);
      const preds = this.targets.map((t, j) => {
        const netj = this.netChunks[j]!;
        for (let i = 0; i < size; i++) netj[i] = net[i * k + j]!;
        const headColumns = new Map(columns);
        headColumns.set('net', netj.subarray(0, size));
        const scale = columns.get(t.columns.scale);
        if (named && scale) headColumns.set('scale', scale);
        return this.heads[j]!.evaluate(headColumns, size, this.predChunks[j]);
      });
      const into = this.metricBuffers.map((values) => values.subarray(start, start + size));
      this.chunkMetrics = evaluateTargetMetrics(data.problem, columns, preds, size, into);
    } catch (error) {
      this.evaluationError = { error };
    }
  }

  /** The metrics on the validation set: `validationPass` hands every chunk to evaluationChunk. */
  private evaluate(validationPass: ValidationPass): MetricValues {
    // A pack's pass runs once, for every member evaluating at this step, before the first one's afterStep returns.
    validationPass();
    // (set by evaluationChunk during the pass, which the compiler cannot see)
    const failed = this.evaluationError as { error: unknown } | undefined;
    if (failed) throw failed.error;
    const n = this.data.validation.n;
    const whole = this.chunkMetrics.map((metric, i) => ({ ...metric, values: this.metricBuffers[i]!.subarray(0, n) }));
    // The per-sample values are this evaluation's own: summarised in place (sorted), not copied.
    return summarizeTargetMetrics(whole, this.spec.problem.aggregates, { inPlace: true });
  }
}

/** The batches a group of trials trains on: one stream, carrying every column any of them reads. */
export function trainingStream(data: ProblemData, runs: readonly TrialRun[]): () => HostBatch {
  const first = runs[0]!.config;
  const columns = [...new Set(runs.flatMap((run) => run.columnNames))];
  const builder = new BatchBuilder(data.problem, first.features, runs[0]!.norm, columns, data.source.weights);
  return data.trainBatches(builder, first.training.batch_size, deriveSeed(first.training.seed, 'shuffle'), first.train);
}

export function trainTrial(backend: LoadedBackend, spec: SweepSpec, data: ProblemData, config: TrialConfig, hooks: TrainHooks): TrialOutcome {
  const { tf } = backend;
  const run = new TrialRun(spec, data, config, hooks);
  const k = run.outputs;
  const batchSize = config.training.batch_size;
  const nextBatch = trainingStream(data, [run]);
  const inputs = config.featureFormulas.length;
  // One network with an output per target, or (model.shared: false) one network per target; network 0 keeps the trial's seed.
  const shared = config.model.shared !== false;
  const mlps = shared
    ? [buildMlp(backend, inputs, config.model, config.training.seed, k)]
    : run.targets.map((_, j) => buildMlp(backend, inputs, config.model, j === 0 ? config.training.seed : deriveSeed(config.training.seed, 'network', j), 1));
  const updates = mlps.map((mlp) => makeParameterUpdate(backend, mlp.variables, { name: config.training.optimizer, gradClip: config.training.grad_clip }));
  // The held-out features stay in JS and go to the backend a chunk at a time: a whole-set tensor
  // would grow each worker's wasm heap (which never shrinks) by the set's size.
  const validationX = data.validationFeatures(config.features, run.norm);
  // d(loss)/d(net) of the current batch (n × k, row-major). Reused every step: the tensor made from it is used up
  // within the step (tfjs runs ops eagerly), even on backends that keep the array they are given.
  const dnet = new Float32Array(batchSize * k);
  // Separate networks: their outputs side by side for the loss, and each one's column of dnet for its backward pass.
  const netRows = shared ? undefined : new Float32Array(batchSize * k);
  const dnetColumn = shared ? undefined : new Float32Array(batchSize);

  // Separate networks: a chunk's outputs side by side, as one network with k outputs gives them.
  const chunkNet = shared ? undefined : new Float32Array(EVAL_CHUNK * k);
  const validationPass = (): void => {
    const n = data.validation.n;
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, n - start);
      const x = validationX.subarray(start * inputs, (start + size) * inputs);
      const outputs = mlps.map((mlp) => {
        const out = tf.tidy(() => mlp.forward(tf.tensor2d(x, [size, inputs])));
        const values = out.dataSync() as Float32Array;
        out.dispose();
        return values;
      });
      if (shared) run.evaluationChunk(start, size, outputs[0]!);
      else {
        outputs.forEach((values, j) => {
          for (let i = 0; i < size; i++) chunkNet![i * k + j] = values[i]!;
        });
        run.evaluationChunk(start, size, chunkNet!);
      }
    }
  };

  /** One optimisation step on a batch: the loss, and (when it is finite) every network's update. */
  const trainStep = (batch: HostBatch, lr: number): number =>
    tf.tidy(() => {
      const x = tf.tensor2d(batch.features, [batch.n, batch.featureCount]);
      if (shared) {
        const pass = mlps[0]!.trainingPass(x);
        const batchLoss = run.loss(pass.net.dataSync() as Float32Array, batch, dnet);
        // A diverged step changes nothing: the trial ends as failed just below.
        if (Number.isFinite(batchLoss)) updates[0]!.apply(pass.backward(tf.tensor1d(dnet.subarray(0, batch.n * k))), lr);
        return batchLoss;
      }
      const passes = mlps.map((mlp) => mlp.trainingPass(x));
      passes.forEach((pass, j) => {
        const values = pass.net.dataSync();
        for (let i = 0; i < batch.n; i++) netRows![i * k + j] = values[i]!;
      });
      const batchLoss = run.loss(netRows!, batch, dnet);
      if (Number.isFinite(batchLoss)) {
        passes.forEach((pass, j) => {
          for (let i = 0; i < batch.n; i++) dnetColumn![i] = dnet[i * k + j]!;
          updates[j]!.apply(pass.backward(tf.tensor1d(dnetColumn!.subarray(0, batch.n))), lr);
        });
      }
      return batchLoss;
    });

  try {
    while (!run.done) {
      if (hooks.shouldStop()) return run.stopped();
      const lr = run.lr();
      const started = performance.now();
      const lossValue = trainStep(nextBatch(), lr);
      const ended = run.afterStep(lossValue, lr, (performance.now() - started) / 1000, validationPass);
      if (ended) return ended;
    }
    // The trained weights: one network (separate networks are stored as one, block-diagonal).
    return run.complete(shared ? mlps[0]!.readWeights() : blockDiagonal(mlps.map((mlp) => mlp.readWeights())));
  } finally {
    for (const mlp of mlps) mlp.dispose();
    for (const update of updates) update.dispose();
  }
}
