// Trains one trial: builds the MLP, runs the optimiser over the training stream with the trial's
// head, loss and learning-rate schedule, and evaluates the held-out set every `eval_every` steps.
// It knows nothing about pools or storage: results leave through the hooks.
import { BatchBuilder } from '../problem/dataset.js';
import { summarize } from '../problem/summary.js';
import { compileFormula, type F64Function } from '../problem/compile.js';
import { compileF64, compileTf, hoistStatic } from '../formula/index.js';
import { headNames, lossNames } from '../spec/names.js';
import { scopesOf } from '../spec/resolve.js';
import { buildMlp, type TrainedModel } from './model.js';
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

export function trainTrial(backend: LoadedBackend, spec: SweepSpec, data: ProblemData, config: TrialConfig, hooks: TrainHooks): TrialOutcome {
  const { tf } = backend;
  const scopes = scopesOf(spec);
  const dynamic = new Set(['net', 'pred']);

  // Evaluation applies the head in float64 on the network's output, like the metrics; training
  // applies it in tfjs, with its static sub-expressions computed in float64 and fed as columns.
  const headF64 = compileFormula(config.model.head, headNames(scopes));
  const head = hoistStatic(headF64.formula, dynamic, '__head');
  const loss = hoistStatic(compileFormula(config.training.loss, lossNames(scopes)).formula, dynamic, '__loss');
  const sideColumns = new Map<string, F64Function | null>();
  for (const hoisted of [head, loss]) {
    for (const name of hoisted.rewritten.names) if (!dynamic.has(name)) sideColumns.set(name, null);
    for (const [name, formula] of hoisted.columns) sideColumns.set(name, compileF64(formula));
  }
  const headTf = compileTf(head.rewritten, tf);
  const lossTf = compileTf(loss.rewritten, tf);
  const sweepMetric = spec.metric.name;

  const norm = data.norm(config.features, config.model.input_norm, config.train);
  const builder = new BatchBuilder(data.problem, config.features, norm, sideColumns);
  const nextBatch = data.trainBatches(builder, config.training.batch_size, deriveSeed(config.training.seed, 'shuffle'), config.train);
  const inputs = config.featureFormulas.length;
  const mlp = buildMlp(backend, inputs, config.model, config.training.seed);
  const optimizer = makeOptimizer(tf, config.training.optimizer, config.training.lr);
  const schedule = new LrSchedule(config.training.schedule, config.training.lr, config.training.steps);
  const validationX = tf.tensor2d(data.validationFeatures(config.features, norm), [data.validation.n, inputs]);

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
      setLearningRate(optimizer, lr);
      const started = performance.now();
      const batch = nextBatch();
      const lossValue = tf.tidy(() => {
        const x = tf.tensor2d(batch.features, [batch.n, batch.featureCount]);
        const env = new Map<string, tfTypes.Tensor>();
        for (const [name, values] of batch.columns) env.set(name, tf.tensor1d(values));
        const { value: lossTensor, grads } = tf.variableGrads(() => {
          const net = mlp.forward(x);
          env.set('net', net);
          env.set('pred', headTf(env));
          const perSample = lossTf(env);
          return tf.mean(perSample) as tfTypes.Scalar;
        }, mlp.variables);
        optimizer.applyGradients(config.training.grad_clip ? clipByGlobalNorm(tf, grads, config.training.grad_clip) : grads);
        return lossTensor.dataSync()[0]!;
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
    optimizer.dispose();
  }
}

type Optimizer = tfTypes.Optimizer;

function makeOptimizer(tf: LoadedBackend['tf'], name: TrialConfig['training']['optimizer'], lr: number): Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'momentum':
      return tf.train.momentum(lr, 0.9);
  }
}

/** tfjs optimisers read their learning rate on every step; SGD/momentum keep it as a tensor behind setLearningRate. */
function setLearningRate(optimizer: Optimizer, lr: number): void {
  const target = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (target.learningRate === lr) return;
  if (target.setLearningRate) target.setLearningRate(lr);
  else target.learningRate = lr;
}

function clipByGlobalNorm(tf: LoadedBackend['tf'], grads: tfTypes.NamedTensorMap, maxNorm: number): tfTypes.NamedTensorMap {
  const tensors = Object.values(grads);
  const norm = tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g)))));
  const factor = tf.div(maxNorm, tf.maximum(norm, maxNorm));
  return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, factor)]));
}

