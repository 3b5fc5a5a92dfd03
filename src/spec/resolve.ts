// One trial's configuration: the sweep's model/training sections with the trial's parameter values
// written at their paths, defaults applied, and every formula checked.
import { ModelSchema, TrainDataSchema, TrainingSchema } from './schema.js';
import { lossNames, headNames, inputNames, type FormulaScopes } from './names.js';
import { withValueAt } from './paths.js';
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

export function resolveTrial(spec: SweepSpec, number: number, params: Params): ResolveResult {
  let draft: Record<string, unknown> = {
    features: Object.keys(spec.features)[0],
    model: spec.model,
    training: spec.training,
    problem: { train: spec.problem.train },
  };
  for (const [path, value] of Object.entries(params)) draft = withValueAt(draft, path, value);

  const featureSet = draft.features;
  if (typeof featureSet !== 'string' || !(featureSet in spec.features)) {
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

  const scopes = scopesOf(spec);
  const head = parseFormula(model.data.head, headNames(scopes));
  if (!head.ok) return { ok: false, path: ['model', 'head'], message: head.error.message, formulaOffset: head.error.offset };

  const loss = training.data.loss ?? spec.problem.metrics[spec.metric.name]!;
  const lossFormula = parseFormula(loss, lossNames(scopes));
  if (!lossFormula.ok) {
    return { ok: false, path: ['training', 'loss'], message: lossFormula.error.message, formulaOffset: lossFormula.error.offset };
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

function fromZod(section: string, issue: ZodIssue, data: unknown, schema: ZodTypeAny): ResolveResult {
  const report = reportIssue(issue, data, schema);
  return { ok: false, path: [section, ...report.path], message: report.message };
}
