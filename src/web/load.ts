// Everything the web view reads from a results DB, in one module: the server and `report` call
// these two functions and nothing else touches the store. Every store call is awaited, so the
// async store (issue 12) changes nothing outside this file.
import path from 'node:path';
import { isPostgresUrl, type ReadStore, type TrialState } from '../store/index.js';
import type { TrialListing } from '../store/read.js';
import type { SweepSpec } from '../spec/types.js';
import type { Parameter } from '../search/space.js';
import { parameterImportance } from '../analysis/importance.js';
import { rungSteps } from '../prune/asha.js';
import { sweepMaxSteps } from '../prune/options.js';
import { describeEarlyTerminate } from '../prune/describe.js';
import { explainModel, loadArtifact } from '../artifacts/index.js';
import { inputError } from './input-error.js';
import { rerunTrial } from './rerun.js';
import type { Curve, ImportanceView, ParameterAxis, PrunerView, SweepView, TrialRow, TrialView } from './view-model.js';

/** Reused between loads of a live sweep: the parts that are slow to compute and rarely change. */
/** training.steps when the sweep file leaves it out (spec/schema.ts). */
const DEFAULT_TRAINING_STEPS = 2000;

export interface LoadCache {
  inputError?: { trial: number; at: number; view: SweepView['inputError'] };
  /** Recompute the error per input (tfjs over the validation set) for a new best model at most this often (ms). */
  inputErrorEveryMs?: number;
  importance?: { at: number; view: SweepView['importance'] };
  /** Recompute importance at most this often (ms): it is the slow part of a load. Unset: every load. */
  importanceEveryMs?: number;
}

/**
 * fANOVA is fit on at most this many trials, evenly spread over the trial numbers: the forest's
 * cost grows faster than the trials, and 500 trials pin the main effects down well.
 */
export const IMPORTANCE_MAX_TRIALS = 500;

/** Curve values are sent with this many significant digits: plenty for a chart, half the bytes. */
const CURVE_DIGITS = 5;

export async function loadSweepView(store: ReadStore, dbPath: string, cache: LoadCache = {}): Promise<SweepView> {
  const version = await store.dataVersion();
  const record = await store.sweep();
  const spec = JSON.parse(record.specJson) as SweepSpec;
  // One read transaction: counts, trials and curves are of the same moment of a live sweep.
  const { counts, listing, curves, stepSets, writer, kept } = await store.consistentRead(async () => {
    const listing = await store.trialListing();
    const curves: SweepView['curves'] = {};
    const stepSets: number[][] = [];
    const stepSetIndex = new Map<string, number>();
    for (const trial of listing) {
      const points = await store.curve(trial.id, record.metricName);
      if (points.length === 0) continue;
      const steps = points.map((p) => p.step);
      const key = steps.join(',');
      let stepSet = stepSetIndex.get(key);
      if (stepSet === undefined) {
        stepSet = stepSets.push(steps) - 1;
        stepSetIndex.set(key, stepSet);
      }
      curves[trial.number] = { stepSet, values: points.map((p) => (p.value === null ? null : Number(p.value.toPrecision(CURVE_DIGITS)))) };
    }
    return { counts: await store.counts(), listing, curves, stepSets, writer: (await store.liveWriter()) ?? null, kept: await store.keptModels() };
  });
  const trials = listing.map(toRow);
  const best = bestTrial(trials, record.metricGoal);

  const bestKept = kept[0]?.number;
  let inputErrorView: SweepView['inputError'];
  if (bestKept === undefined) {
    inputErrorView = { ok: false, reason: 'no trained model is kept in this DB yet (keep_models keeps the best ones)' };
  } else if (cache.inputError && (cache.inputError.trial === bestKept || (cache.inputErrorEveryMs !== undefined && Date.now() - cache.inputError.at < cache.inputErrorEveryMs))) {
    // The same best model, or (serving a live sweep) a new one too soon after the last computation.
    inputErrorView = cache.inputError.view;
  } else {
    inputErrorView = await inputError(store, dbPath, bestKept);
    cache.inputError = { trial: bestKept, at: Date.now(), view: inputErrorView };
  }

  return {
    version,
    generatedAt: new Date().toISOString(),
    // A file by its name; a PostgreSQL sweep by its URL (dbPath is then store.location: no password).
    db: isPostgresUrl(dbPath) ? dbPath : path.basename(dbPath),
    sweep: {
      name: record.name,
      method: record.method,
      metric: record.metricName,
      goal: record.metricGoal,
      createdAt: record.createdAt,
      target: spec.metric.target ?? null,
    },
    writer,
    counts,
    parameters: (spec.parameters ?? []).map(toAxis),
    trials,
    curves,
    stepSets,
    pruner: prunerView(spec, trials),
    best,
    importance: importances(spec.parameters ?? [], trials, cache),
    inputError: inputErrorView,
  };
}

/** Trial `number`'s page, or undefined when the DB has no such trial. */
export async function loadTrialView(store: ReadStore, dbPath: string, number: number): Promise<TrialView | undefined> {
  const record = await store.sweep();
  const trial = await store.trial(number);
  if (!trial) return undefined;
  const points = await store.curve(trial.id);
  const curves: Record<string, Curve> = {};
  for (const point of points) {
    const curve = (curves[point.name] ??= { steps: [], values: [] });
    curve.steps.push(point.step);
    curve.values.push(point.value);
  }
  const kept = (await store.keptModels()).some((k) => k.number === number);
  let formula: TrialView['formula'];
  if (!kept) {
    formula = { ok: false, reason: trial.state === 'complete' ? 'its model is not kept (the sweep keeps the best ones)' : `it is ${trial.state}: only complete trials keep a model` };
  } else {
    const explanation = explainModel(await loadArtifact(store, dbPath, number));
    formula = explanation.closedForm ? { ok: true, pred: explanation.pred.learned, rounded: explanation.pred.rounded } : { ok: false, reason: explanation.reason };
  }
  return {
    trial: {
      ...toRow({ ...trial, startedAt: trial.startedAt, finishedAt: trial.finishedAt }),
      backend: trial.backend,
      metrics: trial.metrics,
    },
    curves,
    formula,
    rerun: rerunTrial(record, trial),
  };
}

function toRow(trial: Pick<TrialListing, 'number' | 'state' | 'value' | 'params' | 'step' | 'steps' | 'worker' | 'error' | 'startedAt' | 'finishedAt'>): TrialRow {
  return {
    number: trial.number,
    state: trial.state,
    value: trial.value,
    params: trial.params,
    step: trial.step,
    steps: trial.steps,
    worker: trial.worker,
    startedAt: trial.startedAt ? Date.parse(trial.startedAt) : null,
    finishedAt: trial.finishedAt ? Date.parse(trial.finishedAt) : null,
    error: trial.error,
  };
}

function bestTrial(trials: readonly TrialRow[], goal: 'minimize' | 'maximize'): number | null {
  let best: TrialRow | undefined;
  for (const trial of trials) {
    if (trial.state !== 'complete' || trial.value === null) continue;
    if (!best || (goal === 'minimize' ? trial.value < best.value! : trial.value > best.value!)) best = trial;
  }
  return best?.number ?? null;
}

function toAxis(parameter: Parameter): ParameterAxis {
  const d = parameter.distribution;
  if (d.type === 'categorical') return { path: parameter.path, kind: 'categorical', choices: d.choices.map(choiceText) };
  return { path: parameter.path, kind: 'numeric', log: d.log, low: d.low, high: d.high, integer: d.type === 'int' };
}

/** How a categorical choice is shown (and matched) in the browser: strings as they are, anything else as JSON. */
export function choiceText(choice: unknown): string {
  return typeof choice === 'string' ? choice : JSON.stringify(choice);
}

function importances(parameters: readonly Parameter[], trials: readonly TrialRow[], cache: LoadCache): SweepView['importance'] {
  const now = Date.now();
  if (cache.importance && cache.importanceEveryMs !== undefined && now - cache.importance.at < cache.importanceEveryMs) return cache.importance.view;
  const view = { complete: importanceOf(parameters, trials, ['complete']), withPruned: importanceOf(parameters, trials, ['complete', 'pruned']) };
  cache.importance = { at: now, view };
  return view;
}

/**
 * fANOVA importance over the trials in `states` (at most IMPORTANCE_MAX_TRIALS of them). A pruned trial's value is the one at the rung it
 * stopped at: under ASHA that is the only value most trials have, and what decided their fate.
 */
function importanceOf(parameters: readonly Parameter[], trials: readonly TrialRow[], states: TrialState[]): ImportanceView {
  const eligible = trials.filter((t) => states.includes(t.state) && t.value !== null);
  const stride = eligible.length / IMPORTANCE_MAX_TRIALS;
  const used = stride <= 1 ? eligible : Array.from({ length: IMPORTANCE_MAX_TRIALS }, (_, i) => eligible[Math.floor(i * stride)]!);
  const result = parameterImportance(parameters, used.map((t) => ({ params: t.params, value: t.value! })));
  if (!result.ok) return { ok: false, reason: result.reason };
  const pruned = used.filter((t) => t.state === 'pruned').length;
  const sample = used.length < eligible.length ? ` (an even sample of the ${eligible.length})` : '';
  const basis = states.includes('pruned')
    ? `${result.trials} trials${sample}: ${result.trials - pruned} complete at their final value, ${pruned} pruned at the value they were stopped with`
    : `${result.trials} complete trials${sample}`;
  return { ok: true, basis, method: result.method, target: result.target, importances: result.importances.map(({ parameter, importance }) => ({ parameter, importance })) };
}

function prunerView(spec: SweepSpec, trials: readonly TrialRow[]): PrunerView | null {
  const et = spec.earlyTerminate;
  if (!et) return null;
  // The trials' own step counts (--steps and a swept training.steps included); the sweep file's before any trial.
  const planned = trials.reduce((most, t) => Math.max(most, t.steps ?? 0), 0);
  const written = spec.stepsOverride ?? Number(spec.training['steps'] ?? DEFAULT_TRAINING_STEPS);
  const maxSteps = planned > 0 ? planned : sweepMaxSteps(written, spec.parameters.find((p) => p.path === 'training.steps')?.distribution);
  const rungs = et.type === 'median' ? [] : rungSteps(et.minSteps, et.eta, maxSteps);
  return { type: et.type, rungs, description: describeEarlyTerminate(et, maxSteps).join('; ') };
}
