// Trains one trial: builds the MLP, runs the optimiser over the training stream with the trial's
// head, loss and learning-rate schedule, and evaluates the held-out set every `eval_every` steps.
// It knows nothing about pools or storage: results leave through the hooks.
//
// One step: upload the batch's features, run the network forward (tfjs), read its output back,
// compute the loss and d(loss)/d(net) on the host in float64 (loss.ts), run the network's backward
// pass (tfjs, model.ts) and update the parameters (optimizer.ts). The loss is known on the host at
// every step, so divergence is caught at the step where it happens, for free.
import { BatchBuilder, type HostBatch } from '../problem/dataset.js';
import { evaluateTargetMetrics, summarizeTargetMetrics } from '../problem/target-metrics.js';
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

/** Rows of the validation set evaluated per forward pass, to bound memory at large widths. */
const EVAL_CHUNK = 8192;

/** A name a loss or head reads that is a network output or a head, not a data column. */
const isNetworkName = (name: string): boolean => name === 'net' || name === 'pred' || name.startsWith('net.') || name.startsWith('pred.');

export function trainTrial(backend: LoadedBackend, spec: SweepSpec, data: ProblemData, config: TrialConfig, hooks: TrainHooks): TrialOutcome {
  const { tf } = backend;
  const targets = trialTargets(spec, config);
  const k = targets.length;
  const named = data.problem.namedTargets;
  // The heads run in float64 twice: in the training loss (with its derivative) and at evaluation.
  const heads = targets.map((t) => compileFormula(t.head, headNames(t.scopes)));
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
  const columnNames = [
    ...new Set([
      ...losses.flatMap((loss, t) => loss.names.filter((name) => !isNetworkName(name)).map((name) => own(targets[t]!, name))),
      ...[...predsRead].flatMap((t) => heads[t]!.formula.names.filter((name) => !isNetworkName(name)).map((name) => own(targets[t]!, name))),
    ]),
  ];
  const batchSize = config.training.batch_size;
  const trainingLoss = compileTargetLosses(
    targets.map((t, i) => ({ name: t.name, head: heads[i]!.formula, loss: losses[i]!, weight: t.weight, columns: t.columns })),
    batchSize,
  );
  const sweepMetric = spec.metric.name;

  const norm = data.norm(config.features, config.model.input_norm, config.train);
  const builder = new BatchBuilder(data.problem, config.features, norm, columnNames, data.source.weights);
  const nextBatch = data.trainBatches(builder, batchSize, deriveSeed(config.training.seed, 'shuffle'), config.train);
  const inputs = config.featureFormulas.length;
  // One network with an output per target, or (model.shared: false) one network per target; network 0 keeps the trial's seed.
  const shared = config.model.shared !== false;
  const mlps = shared
    ? [buildMlp(backend, inputs, config.model, config.training.seed, k)]
    : targets.map((_, j) => buildMlp(backend, inputs, config.model, j === 0 ? config.training.seed : deriveSeed(config.training.seed, 'network', j), 1));
  const updates = mlps.map((mlp) => makeParameterUpdate(backend, mlp.variables, { name: config.training.optimizer, gradClip: config.training.grad_clip }));
  const schedule = new LrSchedule(config.training.schedule, config.training.lr, config.training.steps);
  // The held-out features stay in JS and go to the backend a chunk at a time: a whole-set tensor
  // would grow each worker's wasm heap (which never shrinks) by the set's size.
  const validationX = data.validationFeatures(config.features, norm);
  // d(loss)/d(net) of the current batch (n × k, row-major). Reused every step: the tensor made from it is used up
  // within the step (tfjs runs ops eagerly), even on backends that keep the array they are given.
  const dnet = new Float32Array(batchSize * k);
  // Separate networks: their outputs side by side for the loss, and each one's column of dnet for its backward pass.
  const netRows = shared ? undefined : new Float32Array(batchSize * k);
  const dnetColumn = shared ? undefined : new Float32Array(batchSize);

  // The networks' outputs on the held-out set, made once per trial and overwritten at every evaluation.
  const nets = targets.map(() => new Float64Array(data.validation.n));
  const predictions = targets.map(() => new Float64Array(data.validation.n));
  /** Each per-sample metric's values (metric by metric, target by target), reused by every evaluation. */
  const metricBuffers: Float64Array[] = [];
  const evaluate = (): MetricValues => {
    const n = data.validation.n;
    mlps.forEach((mlp, m) => {
      const outputs = shared ? k : 1;
      for (let start = 0; start < n; start += EVAL_CHUNK) {
        const size = Math.min(EVAL_CHUNK, n - start);
        const out = tf.tidy(() => mlp.forward(tf.tensor2d(validationX.subarray(start * inputs, (start + size) * inputs), [size, inputs])));
        const values = out.dataSync();
        if (outputs === 1) nets[m]!.set(values, start);
        else for (let i = 0; i < size; i++) for (let j = 0; j < k; j++) nets[j]![start + i] = values[i * k + j]!;
        out.dispose();
      }
    });
    const preds = targets.map((t, j) => {
      const columns = new Map(data.validation.columns);
      columns.set('net', nets[j]!);
      const scale = data.validation.columns.get(t.columns.scale);
      if (named && scale) columns.set('scale', scale);
      return heads[j]!.evaluate(columns, n, predictions[j]);
    });
    // The per-sample values are this evaluation's own: summarised in place (sorted), not copied.
    return summarizeTargetMetrics(evaluateTargetMetrics(data.problem, data.validation.columns, preds, n, metricBuffers), spec.problem.aggregates, { inPlace: true });
  };

  /** One optimisation step on a batch: the loss, and (when it is finite) every network's update. */
  const trainStep = (batch: HostBatch, lr: number): number =>
    tf.tidy(() => {
      const x = tf.tensor2d(batch.features, [batch.n, batch.featureCount]);
      if (shared) {
        const pass = mlps[0]!.trainingPass(x);
        const batchLoss = trainingLoss.evaluate(pass.net.dataSync() as Float32Array, batch.columns, batch.n, dnet, batch.weights);
        // A diverged step changes nothing: the trial ends as failed just below.
        if (Number.isFinite(batchLoss)) updates[0]!.apply(pass.backward(tf.tensor1d(dnet.subarray(0, batch.n * k))), lr);
        return batchLoss;
      }
      const passes = mlps.map((mlp) => mlp.trainingPass(x));
      passes.forEach((pass, j) => {
        const values = pass.net.dataSync();
        for (let i = 0; i < batch.n; i++) netRows![i * k + j] = values[i]!;
      });
      const batchLoss = trainingLoss.evaluate(netRows!, batch.columns, batch.n, dnet, batch.weights);
      if (Number.isFinite(batchLoss)) {
        passes.forEach((pass, j) => {
          for (let i = 0; i < batch.n; i++) dnetColumn![i] = dnet[i * k + j]!;
          updates[j]!.apply(pass.backward(tf.tensor1d(dnetColumn!.subarray(0, batch.n))), lr);
        });
      }
      return batchLoss;
    });

  /** The trained weights: one network (with its output names when the targets are named). */
  const trainedModel = (): TrainedModel => {
    const weights = shared ? mlps[0]!.readWeights() : blockDiagonal(mlps.map((mlp) => mlp.readWeights()));
    return { ...weights, norm, ...(named ? { outputs: targets.map((t) => t.name) } : {}) };
  };

  let step = 0;
  let lastMetrics: MetricValues = {};
  let value: number | null = null;
  let lossSum = 0;
  let lossCount = 0;
  let trainSeconds = 0;
  let stepsSinceEval = 0;
  try {
    while (step < config.training.steps) {
      if (hooks.shouldStop()) return { state: 'stopped', value, step, metrics: lastMetrics };
      const lr = schedule.lrAt(step);
      const started = performance.now();
      const lossValue = trainStep(nextBatch(), lr);
      trainSeconds += (performance.now() - started) / 1000;
      step++;
      stepsSinceEval++;
      if (!Number.isFinite(lossValue)) {
        return { state: 'failed', value: null, step, error: `diverged: training loss is ${lossValue} at step ${step}`, metrics: lastMetrics };
      }
      schedule.observe(lossValue);
      lossSum += lossValue;
      lossCount++;

      if (step % config.training.eval_every === 0 || step === config.training.steps) {
        const metrics = evaluate();
        metrics.train_loss = lossSum / lossCount;
        metrics.lr = lr;
        metrics.steps_per_s = trainSeconds > 0 ? stepsSinceEval / trainSeconds : 0;
        lossSum = lossCount = trainSeconds = stepsSinceEval = 0;
        lastMetrics = metrics;
        const verdict = hooks.onEval(step, metrics);
        value = metrics[sweepMetric]!;
        if (!Number.isFinite(value)) {
          return { state: 'failed', value: null, step, error: `diverged: validation ${sweepMetric} is ${value} at step ${step}`, metrics };
        }
        if (verdict === 'prune' && step < config.training.steps) return { state: 'pruned', value, step, metrics };
      }
    }
    return { state: 'complete', value, step, metrics: lastMetrics, model: trainedModel() };
  } finally {
    for (const mlp of mlps) mlp.dispose();
    for (const update of updates) update.dispose();
  }
}
