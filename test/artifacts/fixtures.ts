// Hand-built models and artifacts for the artifact tests: the log-linear fixture sweep, trial
// configurations resolved from it, and networks with seeded random (or chosen) weights.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSweepText } from '../../src/spec/load.js';
import { resolveTrial } from '../../src/spec/resolve.js';
import { Rng } from '../../src/rng.js';
import type { SweepSpec, TrialConfig } from '../../src/spec/types.js';
import type { TrainedModel } from '../../src/train/model.js';
import type { Activation } from '../../src/spec/schema.js';
import type { TrialArtifact } from '../../src/artifacts/index.js';
import type { SweepRecord, TrialSummary } from '../../src/store/index.js';

export const LOGLINEAR_SWEEP = fileURLToPath(new URL('../fixtures/models/loglinear.yaml', import.meta.url));

/** The fixture sweep y = 3·a²/b (variables a, b (max a + 10), c; features log(a), log(b), log(c); head exp(net)). */
export function loglinearSpec(): SweepSpec {
  // A sampled problem: no data file to read, so the synchronous check is the whole load.
  return loadSweepText(LOGLINEAR_SWEEP, readFileSync(LOGLINEAR_SWEEP, 'utf8')).spec;
}

export function trialConfig(spec: SweepSpec, params: Record<string, unknown>, number = 0): TrialConfig {
  const resolved = resolveTrial(spec, number, params);
  if (!resolved.ok) throw new Error(`fixture trial does not resolve: ${resolved.path.join('.')}: ${resolved.message}`);
  return resolved.config;
}

/** An MLP with seeded random weights and a non-trivial standardisation. */
export function randomModel(sizes: number[], activations: Activation[], seed = 1): TrainedModel {
  const rng = new Rng(seed);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return {
    layerSizes: sizes,
    activations,
    kernels: sizes.slice(1).map((out, i) => values(sizes[i]! * out)),
    biases: sizes.slice(1).map((out) => values(out)),
    norm: { mean: Array.from({ length: sizes[0]! }, () => rng.uniform(-2, 2)), std: Array.from({ length: sizes[0]! }, () => rng.uniform(0.5, 3)) },
  };
}

/**
 * A depth-0 model whose net is exactly `intercept + Σ coefficients_i · feature_i` on raw features,
 * written through a standardisation (so explain has to undo it): w_i = c_i·std_i, b = c0 + Σ c_i·mean_i.
 */
export function affineModel(intercept: number, coefficients: number[], norm: { mean: number[]; std: number[] }): TrainedModel {
  return {
    layerSizes: [coefficients.length, 1],
    activations: [],
    kernels: [Float32Array.from(coefficients, (c, i) => c * norm.std[i]!)],
    biases: [Float32Array.of(intercept + coefficients.reduce((sum, c, i) => sum + c * norm.mean[i]!, 0))],
    norm,
  };
}

export function artifactOf(spec: SweepSpec, config: TrialConfig, model: TrainedModel, value = 0.01): TrialArtifact {
  const specJson = JSON.stringify(spec);
  const sweep: SweepRecord = {
    name: spec.name,
    method: spec.method,
    metricName: spec.metric.name,
    metricGoal: spec.metric.goal,
    specJson,
    specSource: '',
    specHash: createHash('sha256').update(specJson).digest('hex'),
    createdAt: new Date().toISOString(),
  };
  const trial: TrialSummary = {
    id: config.number + 1,
    number: config.number,
    state: 'complete',
    value,
    params: config.params,
    config,
    step: config.training.steps,
    steps: config.training.steps,
    worker: 1,
    backend: 'wasm',
    host: null,
    agent: null,
    retries: 0,
    error: null,
    queuedAt: sweep.createdAt,
    startedAt: sweep.createdAt,
    finishedAt: sweep.createdAt,
    metrics: {},
  };
  return { dbPath: 'test.db', sweep, spec, trial, config, model };
}
