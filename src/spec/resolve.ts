// One trial's configuration: the sweep's model/training sections with the trial's parameter values
// written at their paths, defaults applied, and every formula checked.
import { ModelSchema, TrainDataSchema, TrainingSchema } from './schema.js';
import { lossNames, headNames, inputNames, type FormulaScopes } from './names.js';
import { withValueAt } from './paths.js';
import { columnsOf, hasNamedTargets, metricKey, summaryKeys, targetsOf, type TargetColumns, type TargetDefinition } from '../problem/targets.js';
import { didYouMean } from '../formula/index.js';
import { deriveSeed } from '../rng.js';
import { parseFormula } from '../formula/index.js';
import type { ProblemSpec, SweepSpec, TrialConfig } from './types.js';
import type { Params } from '../search/space.js';
import type { ZodIssue, ZodTypeAny } from 'zod';
import { reportIssue } from './issues.js';

export type ResolveResult =
  | { ok: true; config: TrialConfig }
  | { ok: false; path: (string | number)[]; message: string; formulaOffset?: number };

export function scopesOf(spec: { problem: Pick<ProblemSpec, 'variables' | 'scale' | 'data'> }): FormulaScopes {
  return {
    variables: inputNames(spec.problem),
    hasScale: spec.problem.scale !== undefined,
    ...(spec.problem.data ? { targetColumns: spec.problem.data.targets } : {}),
  };
}

type ProblemOfSpec = Pick<SweepSpec['problem'], 'variables' | 'target' | 'targets' | 'scale' | 'data'>;

/** Each target with the names its head, metrics and loss may use (a data problem's target columns among them). */
export function targetScopes(spec: { problem: ProblemOfSpec }): { target: TargetDefinition; scopes: FormulaScopes }[] {
  const targets = targetsOf(spec.problem);
  const variables = inputNames(spec.problem);
  const columns = spec.problem.data ? { targetColumns: spec.problem.data.targets } : {};
  const all = hasNamedTargets(spec.problem) ? targets.map((t) => ({ name: t.name, hasScale: t.scale !== undefined })) : undefined;
  return targets.map((target) => ({ target, scopes: { variables, hasScale: target.scale !== undefined, ...columns, ...(all ? { targets: all } : {}) } }));
}

/** One target as a trial trains it: its head, its loss and that loss's weight, and where its data lives. */
export interface TrialTarget {
  name: string;
  head: string;
  loss: string;
  weight: number;
  columns: TargetColumns;
  scopes: FormulaScopes;
  definition: TargetDefinition;
}

/** The trial's targets, in the problem's order: per-target heads and losses (a map's missing targets get the defaults). */
export function trialTargets(spec: SweepSpec, config: Pick<TrialConfig, 'model' | 'training'>): TrialTarget[] {
  const named = hasNamedTargets(spec.problem);
  const weights = (config.training as { loss_weights?: Record<string, number> }).loss_weights;
  return targetScopes(spec).map(({ target, scopes }) => ({
    name: target.name,
    head: pickFor(config.model.head, target.name) ?? 'net',
    loss: pickFor(config.training.loss, target.name) ?? defaultLoss(spec),
    weight: (weights && Object.hasOwn(weights, target.name) ? weights[target.name] : undefined) ?? 1,
    columns: columnsOf(target.name, named),
    scopes,
    definition: target,
  }));
}

function pickFor(value: string | Record<string, string> | undefined, name: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return Object.hasOwn(value, name) ? value[name] : undefined;
}

/** The per-sample metric the sweep metric summarises (for an aggregate: that of its first member). */
export function baseMetricOf(spec: Pick<SweepSpec, 'problem' | 'metric'>, name = spec.metric.name): string {
  const aggregate = spec.problem.aggregates && Object.hasOwn(spec.problem.aggregates, name) ? spec.problem.aggregates[name]! : undefined;
  if (aggregate) return baseMetricOf(spec, aggregate.of[0]!);
  const named = hasNamedTargets(spec.problem);
  for (const metric of Object.keys(spec.problem.metrics)) {
    for (const target of targetsOf(spec.problem)) {
      if (summaryKeys(metricKey(metric, target.name, named)).includes(name)) return metric;
    }
  }
  throw new Error(`"${name}" is not a recorded metric of this sweep`);
}

/** The default training loss: the formula of the metric the sweep is judged by. */
export function defaultLoss(spec: Pick<SweepSpec, 'problem' | 'metric'>): string {
  return spec.problem.metrics[baseMetricOf(spec)]!;
}

/** A head or loss map may name only targets (with a did-you-mean); a map needs named targets. */
function checkTargetMap(spec: SweepSpec, value: unknown, path: (string | number)[], what: string): ResolveResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const names = targetsOf(spec.problem).map((t) => t.name);
  if (!hasNamedTargets(spec.problem)) {
    return { ok: false, path, message: `a map of ${what} (one per target) needs problem.targets; this problem has one target (problem.target), so give one formula` };
  }
  for (const key of Object.keys(value)) {
    if (names.includes(key)) continue;
    const suggestion = didYouMean(key, names);
    return { ok: false, path: [...path, key], message: `"${key}" is not a target${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; the targets: ${names.join(', ')}` };
  }
  return undefined;
}

/** Writing a parameter at `model.head.y1` into a head given as one formula: the formula becomes a map over every target first. */
function expandForTargetPaths(spec: SweepSpec, draft: Record<string, unknown>, params: Params): Record<string, unknown> {
  let out = draft;
  const sections: [string, string, () => string][] = [
    ['model', 'head', () => 'net'],
    ['training', 'loss', () => defaultLoss(spec)],
  ];
  for (const [section, field, fallback] of sections) {
    if (!Object.keys(params).some((path) => path.startsWith(`${section}.${field}.`))) continue;
    const current = (out[section] as Record<string, unknown> | undefined)?.[field];
    if (typeof current === 'object' && current !== null) continue;
    const formula = typeof current === 'string' ? current : fallback();
    const map = Object.fromEntries(targetsOf(spec.problem).map((t) => [t.name, formula]));
    out = withValueAt(out, `${section}.${field}`, map);
  }
  return out;
}

export function resolveTrial(spec: SweepSpec, number: number, params: Params): ResolveResult {
  let draft: Record<string, unknown> = {
    features: Object.keys(spec.features)[0],
    model: spec.model,
    training: spec.training,
    problem: { train: spec.problem.train },
  };
  draft = expandForTargetPaths(spec, draft, params);
  for (const [path, value] of Object.entries(params)) draft = withValueAt(draft, path, value);

  const featureSet = draft.features;
  if (typeof featureSet !== 'string' || !Object.hasOwn(spec.features, featureSet)) {
    return {
      ok: false,
      path: ['features'],
      message: `expected the name of a feature set (${Object.keys(spec.features).join(', ')}), got ${JSON.stringify(featureSet)}`,
    };
  }

  const train = TrainDataSchema.safeParse((draft.problem as { train: unknown }).train);
  if (!train.success) {
    const report = reportIssue(train.error.issues[0]!, (draft.problem as { train: unknown }).train, TrainDataSchema);
    return { ok: false, path: ['problem', 'train', ...report.path], message: report.message };
  }
  const model = ModelSchema.safeParse(draft.model);
  if (!model.success) return fromZod('model', model.error.issues[0]!, draft.model, ModelSchema);
  const training = TrainingSchema.safeParse(draft.training);
  if (!training.success) return fromZod('training', training.error.issues[0]!, draft.training, TrainingSchema);

  const several = targetsOf(spec.problem).length > 1 || hasNamedTargets(spec.problem);
  const mapProblem =
    checkTargetMap(spec, model.data.head, ['model', 'head'], 'heads') ??
    checkTargetMap(spec, training.data.loss, ['training', 'loss'], 'losses') ??
    checkTargetMap(spec, training.data.loss_weights, ['training', 'loss_weights'], 'loss weights');
  if (mapProblem) return mapProblem;
  if (model.data.shared !== undefined && !several) {
    return { ok: false, path: ['model', 'shared'], message: 'model.shared chooses one network for all targets or one per target; this problem has one target (problem.target)' };
  }
  const loss = training.data.loss ?? defaultLoss(spec);
  for (const target of trialTargets(spec, { model: model.data, training: { ...training.data, loss } as TrialConfig['training'] })) {
    // A map's formula is reported at its own key; one formula for every target at the field itself.
    const headPath = typeof model.data.head === 'string' ? ['model', 'head'] : ['model', 'head', target.name];
    const head = parseFormula(target.head, headNames(target.scopes));
    if (!head.ok) return { ok: false, path: headPath, message: forTarget(head.error.message, target.name, several), formulaOffset: head.error.offset };
    const lossPath = typeof loss === 'string' ? ['training', 'loss'] : ['training', 'loss', target.name];
    const lossFormula = parseFormula(target.loss, lossNames(target.scopes));
    if (!lossFormula.ok) {
      return { ok: false, path: lossPath, message: forTarget(lossFormula.error.message, target.name, several), formulaOffset: lossFormula.error.offset };
    }
  }

  const activation = model.data.activation;
  if (activation.length !== 1 && activation.length !== model.data.depth) {
    return {
      ok: false,
      path: ['model', 'activation'],
      message: `expected one activation or one per hidden layer (${model.data.depth}), got ${activation.length}`,
    };
  }

  const steps = spec.stepsOverride ?? training.data.steps;
  const evalEvery = Math.min(training.data.eval_every ?? Math.max(1, Math.round(steps / 20)), steps);
  const config: TrialConfig = {
    number,
    params,
    features: featureSet,
    featureFormulas: spec.features[featureSet]!,
    model: { ...model.data, activation: Array.from({ length: model.data.depth }, (_, i) => activation[activation.length === 1 ? 0 : i]!) },
    training: {
      ...training.data,
      steps,
      loss,
      eval_every: evalEvery,
      seed: training.data.seed ?? deriveSeed(spec.seed, 'weights', number),
    },
    train: train.data,
  };
  return { ok: true, config };
}

function forTarget(message: string, target: string, several: boolean): string {
  return several ? `${message} (for target ${target})` : message;
}

function fromZod(section: string, issue: ZodIssue, data: unknown, schema: ZodTypeAny): ResolveResult {
  const report = reportIssue(issue, data, schema);
  return { ok: false, path: [section, ...report.path], message: report.message };
}
