// Predictions from a stored model on raw variables: the trainer's evaluation pipeline, step for
// step. Features in float64 from the trial's own formulas → standardised with the stored norm →
// float32 → the network (tfjs) → the head in float64 on net, scale and the variables. With `check`,
// also the target and every per-sample metric, so the metric over the held-out set matches the
// recorded one. Each row is checked against the trained ranges.
import { compileFormula, type CompiledFormula, type CompiledProblem } from '../problem/compile.js';
import { compileProblem } from '../problem/compile.js';
import { dataColumns, packFeatures } from '../problem/dataset.js';
import { evaluateTargetMetrics } from '../problem/target-metrics.js';
import { SINGLE_TARGET, summaryKeys } from '../problem/targets.js';
import { explainNonFinite } from '../formula/index.js';
import { dataNames, headNames } from '../spec/names.js';
import { baseMetricOf, scopesOf, trialTargets } from '../spec/resolve.js';
import { forwardOutputs } from './forward.js';
import { ArtifactError } from './load.js';
import { flagRows, rangeChecks } from './ranges.js';
import type { LoadedBackend } from '../train/backend.js';
import type { TrialArtifact } from './load.js';
import type { InputVariable } from './csv.js';

/** One target as a stored model predicts it: which output unit, and the trial's head for it. */
export interface PredictedTarget {
  name: string;
  /** The column of this target's prediction in outputs: `pred` (one unnamed target) or `pred.y1`. */
  predColumn: string;
  targetColumn: string;
  output: number;
  head: CompiledFormula;
}

export interface Predictor {
  artifact: TrialArtifact;
  problem: CompiledProblem;
  /** The trial's feature formulas, compiled. */
  features: CompiledFormula[];
  /** Every target, in the problem's order. */
  targets: PredictedTarget[];
  /** What the input must provide, in declaration order. */
  inputs: InputVariable[];
  /** What `--check` also needs: a data problem's target columns (the target formula reads them). */
  checkInputs: InputVariable[];
  ranges: ReturnType<typeof rangeChecks>;
}

export interface Predictions {
  n: number;
  /** Per target (the predictor's order): the network output and the prediction. */
  nets: Float64Array[];
  preds: Float64Array[];
  /** The first target's: the one target of a `target:` problem. */
  net: Float64Array;
  pred: Float64Array;
  /** Per row: why it lies outside what the model was trained on (empty: in range). */
  flags: string[][];
  /** With check: each target formula's value per row (and the first target's as `target`). */
  targets?: Float64Array[];
  target?: Float64Array;
  /** With check: every per-target metric per row, by recorded name, the sweep metric's first. */
  metrics?: Map<string, Float64Array>;
}

export function makePredictor(artifact: TrialArtifact): Predictor {
  const { spec, config, model } = artifact;
  const scopes = scopesOf(spec);
  const problem = compileProblem(spec);
  const outputs = model.outputs ?? [SINGLE_TARGET];
  const targets = trialTargets(spec, config).map((t): PredictedTarget => {
    const output = outputs.indexOf(t.name);
    if (output < 0) throw new ArtifactError(`trial ${artifact.trial.number}'s stored model has outputs ${outputs.join(', ')}, but no output for target ${t.name}`);
    return { name: t.name, predColumn: t.columns.pred, targetColumn: t.columns.target, output, head: compileFormula(t.head, headNames(t.scopes)) };
  });
  return {
    artifact,
    problem,
    features: config.featureFormulas.map((f) => compileFormula(f, dataNames(scopes))),
    targets,
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
  // Every target's scale column (the heads read it) and, to check, its target column.
  const columns = dataColumns(problem, variables, n, options.check === true);

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

  const outputs = forwardOutputs(backend, artifact.model, packFeatures(features, artifact.model.norm, n), n);
  const nets = predictor.targets.map((t) => outputs[t.output]!);
  const preds = predictor.targets.map((t, j) => {
    const headColumns = new Map(columns);
    headColumns.set('net', nets[j]!);
    const compiled = problem.targets.find((c) => c.name === t.name)!;
    if (problem.namedTargets && compiled.scale) headColumns.set('scale', columns.get(compiled.columns.scale)!);
    return t.head.evaluate(headColumns, n);
  });
  for (let i = 0; i < n; i++) {
    if (flags[i]!.length > 0) continue;
    predictor.targets.forEach((t, j) => {
      if (!Number.isFinite(preds[j]![i]!)) flags[i]!.push(`the prediction${problem.namedTargets ? ` of ${t.name}` : ''} is ${preds[j]![i]}`);
    });
  }
  const base = { n, nets, preds, net: nets[0]!, pred: preds[0]!, flags };
  if (!options.check) return base;

  const targets = predictor.targets.map((t) => columns.get(t.targetColumn)!);
  const perTarget = evaluateTargetMetrics(problem, columns, preds, n);
  const sweepMetric = artifact.spec.metric.name;
  // The per-sample metric the sweep metric summarises comes first (for an aggregate: its first member's).
  const first = perTarget.find((m) => summaryKeys(m.key).includes(sweepMetric)) ?? perTarget.find((m) => m.metric === baseMetricOf(artifact.spec));
  const ordered = first ? [first, ...perTarget.filter((m) => m !== first)] : perTarget;
  const metrics = new Map(ordered.map((m) => [m.key, m.values]));
  return { ...base, targets, target: targets[0]!, metrics };
}

function withReason(reason: string | null | undefined): string {
  return reason ? `: ${reason}` : '';
}
