// Predictions from a stored model on raw variables: the trainer's evaluation pipeline, step for
// step. Features in float64 from the trial's own formulas → standardised with the stored norm →
// float32 → the network (tfjs) → the head in float64 on net, scale and the variables. With `check`,
// also the target and every per-sample metric, so the metric over the held-out set matches the
// recorded one. Each row is checked against the trained ranges.
import { compileFormula, type CompiledFormula, type CompiledProblem } from '../problem/compile.js';
import { compileProblem } from '../problem/compile.js';
import { packFeatures } from '../problem/dataset.js';
import { explainNonFinite } from '../formula/index.js';
import { dataNames, headNames } from '../spec/names.js';
import { scopesOf } from '../spec/resolve.js';
import { forwardNet } from './forward.js';
import { flagRows, rangeChecks } from './ranges.js';
import type { LoadedBackend } from '../train/backend.js';
import type { TrialArtifact } from './load.js';
import type { InputVariable } from './csv.js';

export interface Predictor {
  artifact: TrialArtifact;
  problem: CompiledProblem;
  /** The trial's feature formulas, compiled. */
  features: CompiledFormula[];
  head: CompiledFormula;
  /** What the input must provide, in declaration order. */
  inputs: InputVariable[];
  /** What `--check` also needs: a data problem's target columns (the target formula reads them). */
  checkInputs: InputVariable[];
  ranges: ReturnType<typeof rangeChecks>;
}

export interface Predictions {
  n: number;
  net: Float64Array;
  pred: Float64Array;
  /** Per row: why it lies outside what the model was trained on (empty: in range). */
  flags: string[][];
  /** With check: the target formula's value per row. */
  target?: Float64Array;
  /** With check: every problem metric per row, the sweep metric first. */
  metrics?: Map<string, Float64Array>;
}

export function makePredictor(artifact: TrialArtifact): Predictor {
  const { spec, config } = artifact;
  const scopes = scopesOf(spec);
  return {
    artifact,
    problem: compileProblem(spec),
    features: config.featureFormulas.map((f) => compileFormula(f, dataNames(scopes))),
    head: compileFormula(config.model.head, headNames(scopes)),
    inputs: spec.problem.data
      ? spec.problem.data.inputs.map((name) => ({ name }))
      : Object.entries(spec.problem.variables).map(([name, v]) => (v.value !== undefined ? { name, constant: v.value } : { name })),
    checkInputs: (spec.problem.data?.targets ?? []).map((name) => ({ name })),
    ranges: rangeChecks(spec),
  };
}

/** Predicts n rows of raw variables (float64 columns by name). */
export function predictRows(backend: LoadedBackend, predictor: Predictor, variables: Map<string, Float64Array>, n: number, options: { check?: boolean } = {}): Predictions {
  const { problem, artifact } = predictor;
  const columns = new Map(variables);
  if (problem.scale) columns.set('scale', problem.scale.evaluate(variables, n));
  if (options.check) columns.set('target', problem.target.evaluate(variables, n));

  const flags = flagRows(predictor.ranges, variables, n);
  const features = predictor.features.map((f) => f.evaluate(variables, n));
  features.forEach((column, j) => {
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(column[i]!)) continue;
      const formula = predictor.features[j]!.formula;
      const point = new Map([...variables].map(([name, values]) => [name, values[i]!]));
      flags[i]!.push(`feature ${j + 1} (${formula.source}) is ${column[i]}${withReason(explainNonFinite(formula, point))}`);
    }
  });

  const net = forwardNet(backend, artifact.model, packFeatures(features, artifact.model.norm, n), n);
  columns.set('net', net);
  const pred = predictor.head.evaluate(columns, n);
  for (let i = 0; i < n; i++) if (!Number.isFinite(pred[i]!) && flags[i]!.length === 0) flags[i]!.push(`the prediction is ${pred[i]}`);
  if (!options.check) return { n, net, pred, flags };

  columns.set('pred', pred);
  const sweepMetric = artifact.spec.metric.name;
  const names = [sweepMetric, ...[...problem.metrics.keys()].filter((m) => m !== sweepMetric)];
  const metrics = new Map(names.map((name) => [name, problem.metrics.get(name)!.evaluate(columns, n)]));
  return { n, net, pred, flags, target: columns.get('target')!, metrics };
}

function withReason(reason: string | null | undefined): string {
  return reason ? `: ${reason}` : '';
}
