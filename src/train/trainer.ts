// Trains one trial: builds the MLP, runs the optimiser over the training stream with the trial's
// head, loss and learning-rate schedule, and evaluates the held-out set every `eval_every` steps.
// It knows nothing about pools or storage: results leave through the hooks.
//
// One step: upload the batch's features, run the network forward (tfjs), read its output back,
// compute the loss and d(loss)/d(net) on the host in float64 (loss.ts), run the network's backward
// pass (tfjs, model.ts) and update the parameters (optimizer.ts). The loss is known on the host at
// every step, so divergence is caught at the step where it happens, for free.
import { BatchBuilder } from '../problem/dataset.js';
import { summarize } from '../problem/summary.js';
import { compileFormula } from '../problem/compile.js';
import { headNames, lossNames } from '../spec/names.js';
import { scopesOf } from '../spec/resolve.js';
import { buildMlp, type TrainedModel } from './model.js';
import { compileTrainingLoss } from './loss.js';
import { makeParameterUpdate } from './optimizer.js';
import { deriveSeed } from '../rng.js';
import { LrSchedule } from './schedule.js';
import type { ProblemData } from './data.js';
import type { LoadedBackend } from './backend.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type * as tfTypes from '@tensorflow/tfjs';

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

/** Names a formula reads that are not the network's output: data columns (variables, target, scale). */
const NETWORK_NAMES = new Set(['net', 'pred']);

export function trainTrial(backend: LoadedBackend, spec: SweepSpec, data: ProblemData, config: TrialConfig, hooks: TrainHooks): TrialOutcome {
  const { tf } = backend;
  const scopes = scopesOf(spec);
  // The head runs in float64 twice: in the training loss (with its derivative) and at evaluation.
  const headF64 = compileFormula(config.model.head, headNames(scopes));
  const lossFormula = compileFormula(config.training.loss, lossNames(scopes)).formula;
  const lossReadsHead = lossFormula.names.includes('pred');
  const columnNames = [...new Set([...lossFormula.names, ...(lossReadsHead ? headF64.formula.names : [])])].filter((name) => !NETWORK_NAMES.has(name));
  const batchSize = config.training.batch_size;
  const trainingLoss = compileTrainingLoss(headF64.formula, lossFormula, batchSize);
  const sweepMetric = spec.metric.name;

  const norm = data.norm(config.features, config.model.input_norm, config.train);
  const builder = new BatchBuilder(data.problem, config.features, norm, columnNames, data.source.weights);
  const nextBatch = data.trainBatches(builder, batchSize, deriveSeed(config.training.seed, 'shuffle'), config.train);
  const inputs = config.featureFormulas.length;
  const mlp = buildMlp(backend, inputs, config.model, config.training.seed);
  const update = makeParameterUpdate(backend, mlp.variables, { name: config.training.optimizer, gradClip: config.training.grad_clip });
  const schedule = new LrSchedule(config.training.schedule, config.training.lr, config.training.steps);
  const validationX = tf.tensor2d(data.validationFeatures(config.features, norm), [data.validation.n, inputs]);
  // d(mean loss)/d(net) of the current batch. Reused every step: the tensor made from it is used up
  // within the step (tfjs runs ops eagerly), even on backends that keep the array they are given.
  const dnet = new Float32Array(batchSize);

  const evaluate = (): MetricValues => {
    const n = data.validation.n;
    const net = new Float64Array(n);
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, n - start);
      const out = tf.tidy(() => mlp.forward(tf.slice(validationX, [start, 0], [size, inputs]) as tfTypes.Tensor2D));
      net.set(out.dataSync(), start);
      out.dispose();
    }
    const columns = new Map(data.validation.columns);
    columns.set('net', net);
    const pred = headF64.evaluate(columns, n);
    columns.set('pred', pred);
    const metrics: MetricValues = {};
    for (const [name, metric] of data.problem.metrics) {
      const summary = summarize(metric.evaluate(columns, n));
      metrics[name] = summary.mean;
      metrics[`${name}.median`] = summary.median;
      metrics[`${name}.p90`] = summary.p90;
      metrics[`${name}.max`] = summary.max;
    }
    return metrics;
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
      const batch = nextBatch();
      const lossValue = tf.tidy(() => {
        const x = tf.tensor2d(batch.features, [batch.n, batch.featureCount]);
        const pass = mlp.trainingPass(x);
        const batchLoss = trainingLoss.evaluate(pass.net.dataSync() as Float32Array, batch.columns, batch.n, dnet, batch.weights);
        // A diverged step changes nothing: the trial ends as failed just below.
        if (Number.isFinite(batchLoss)) update.apply(pass.backward(tf.tensor1d(dnet.subarray(0, batch.n))), lr);
        return batchLoss;
      });
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
    return { state: 'complete', value, step, metrics: lastMetrics, model: { ...mlp.readWeights(), norm } };
  } finally {
    validationX.dispose();
    mlp.dispose();
    update.dispose();
  }
}
