// The tree-structured Parzen estimator (Bergstra et al. 2011), as Optuna's TPESampler does it:
// after a few random start-up trials, the finished trials are split into the best γ (below) and
// the rest (above); a Parzen estimator is fit to each, l(x) and g(x); candidates are drawn from
// l and the one with the largest l(x)/g(x) is proposed. Running trials count as bad ones
// ("constant liar"), so parallel workers do not all propose the same point.
//
// ask() is a pure function of (seed, trial number, history): its randomness comes from a stream
// derived from the seed and the trial number, and the history is read in number order.
import { Rng, deriveSeed } from '../rng.js';
import type { Parameter, Params } from './space.js';
import { sampleDistribution } from './sample.js';
import { ParzenEstimator, rampWeights, type ParzenSettings } from './parzen.js';
import { tpeSpace, type TpeDim, type TpeSpace } from './tpe-space.js';
import type { Planner, TrialRecord } from './planner.js';

export interface TpeOptions {
  /** Trials sampled at random (from the prior) until this many trials have finished. */
  startupTrials: number;
  /** Candidates drawn from l(x) per proposal (Optuna's n_ei_candidates). */
  candidates: number;
  /** One joint estimator over all parameters (true), or one per parameter (false). */
  multivariate: boolean;
  /** Running trials join the "above" group, as if they had turned out badly. */
  constantLiar: boolean;
  /** Fraction of the finished trials that are "below" (good): n_below = min(⌈γ·n⌉, 25). */
  gamma: number;
}

export const DEFAULT_TPE_OPTIONS: TpeOptions = { startupTrials: 10, candidates: 24, multivariate: true, constantLiar: true, gamma: 0.1 };

/** The sweep file's `tpe:` block (snake_case, defaults filled in by the schema) as options; absent: the defaults. */
export function tpeOptionsFromFile(
  block: { startup_trials: number; candidates: number; multivariate: boolean; constant_liar: boolean; gamma: number } | undefined,
): TpeOptions {
  if (!block) return { ...DEFAULT_TPE_OPTIONS };
  return {
    startupTrials: block.startup_trials,
    candidates: block.candidates,
    multivariate: block.multivariate,
    constantLiar: block.constant_liar,
    gamma: block.gamma,
  };
}

/** The options in words (for `sweepdeck validate`). */
export function describeTpe(options: TpeOptions): string {
  return (
    `tpe: ${options.startupTrials} random start-up trial${options.startupTrials === 1 ? '' : 's'}, then the best of ${options.candidates} candidates ` +
    `drawn from a ${options.multivariate ? 'multivariate' : 'per-parameter'} Parzen estimator of the best ${+(options.gamma * 100).toFixed(2)}% of finished trials (at most ${MAX_BELOW})` +
    (options.constantLiar ? '; running trials count as bad ones (constant liar)' : '')
  );
}

/** At most this many trials are "below", however many have finished (Optuna's default gamma). */
export const MAX_BELOW = 25;
/** Weight of the prior kernel relative to one trial's (Optuna's default). */
export const PRIOR_WEIGHT = 1;

export interface TpePlanSpec {
  parameters: Parameter[];
  trialCount: number;
  seed: number;
  goal: 'minimize' | 'maximize';
  options: TpeOptions;
}

export function belowCount(finished: number, gamma: number): number {
  return Math.min(Math.ceil(gamma * finished), MAX_BELOW);
}

export function tpePlanner(spec: TpePlanSpec): Planner {
  const space = tpeSpace(spec.parameters);
  const { options } = spec;
  return {
    total: spec.trialCount,
    ask(number, history) {
      const rng = new Rng(deriveSeed(spec.seed, 'tpe', number));
      const others = history.filter((t) => t.number !== number).sort((a, b) => a.number - b.number);
      const finished = others.filter((t) => isUsableComplete(t) || t.state === 'pruned');
      if (finished.length < Math.max(1, options.startupTrials) || space.dims.length === 0) {
        return Object.fromEntries(spec.parameters.map((p) => [p.path, sampleDistribution(p.distribution, rng)]));
      }
      const { below, above } = splitTrials(others, belowCount(finished.length, options.gamma), spec.goal, options.constantLiar);
      const chosen = options.multivariate
        ? proposeJoint(space.dims, below, above, rng, options)
        : space.dims.map((dim) => proposeJoint([dim], below, above, rng, options, space.dims.length)[0]!);
      return assemble(space, chosen);
    },
  };
}

function isUsableComplete(t: TrialRecord): boolean {
  return t.state === 'complete' && t.value !== null && Number.isFinite(t.value);
}

/**
 * The best `nBelow` finished trials are "below": complete and pruned trials alike, by their last
 * value (a pruned trial's is the one it was stopped at), complete ones first among equal values.
 * Every other finished trial, and with constant liar every running one, is "above". Failed trials
 * are ignored. Both groups come back in trial-number order (the weights ramp over that order).
 *
 * Why not "every complete trial above every pruned one", as Optuna ranks them: under ASHA the
 * first trials to reach a rung go on whatever their value, so the first complete trials are often
 * poor ones, and ranking them first makes TPE search around them for a long while. A pruned
 * trial's value is taken early in its training, which for a loss that falls with training is a
 * pessimistic estimate, so ranking by value does not flatter pruned trials.
 */
export function splitTrials(
  trials: readonly TrialRecord[],
  nBelow: number,
  goal: 'minimize' | 'maximize',
  constantLiar: boolean,
): { below: TrialRecord[]; above: TrialRecord[] } {
  const sign = goal === 'minimize' ? 1 : -1;
  const score = (t: TrialRecord) => (t.value !== null && Number.isFinite(t.value) ? sign * t.value : Infinity);
  const ranked = trials
    .filter((t) => isUsableComplete(t) || t.state === 'pruned')
    .sort((a, b) => score(a) - score(b) || Number(b.state === 'complete') - Number(a.state === 'complete') || a.number - b.number);
  const below = ranked.slice(0, nBelow);
  const above = [...ranked.slice(nBelow), ...(constantLiar ? trials.filter((t) => t.state === 'running') : [])];
  const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
  return { below: below.sort(byNumber), above: above.sort(byNumber) };
}

/** Rows of kernel-space values for the trials that have a valid value for every one of `dims`. */
function observations(dims: readonly TpeDim[], trials: readonly TrialRecord[]): number[][] {
  const rows: number[][] = [];
  for (const trial of trials) {
    const row = dims.map((dim) => dim.encode(trial.params[dim.path]));
    if (row.every((v) => v !== undefined)) rows.push(row as number[]);
  }
  return rows;
}

/** Draws candidates from l(x) over `dims` and returns the one with the largest l(x)/g(x). */
function proposeJoint(
  dims: readonly TpeDim[],
  below: readonly TrialRecord[],
  above: readonly TrialRecord[],
  rng: Rng,
  options: TpeOptions,
  spaceDims = dims.length,
): number[] {
  const settings: ParzenSettings = { priorWeight: PRIOR_WEIGHT, multivariate: options.multivariate, spaceDims };
  const kernels = dims.map((d) => d.kernel);
  const good = observations(dims, below);
  const bad = observations(dims, above);
  const l = new ParzenEstimator(kernels, good, rampWeights(good.length), settings);
  const g = new ParzenEstimator(kernels, bad, rampWeights(bad.length), settings);
  let best: number[] = [];
  let bestScore = -Infinity;
  for (const candidate of l.sample(rng, options.candidates)) {
    const score = l.logPdf(candidate) - g.logPdf(candidate);
    if (best.length === 0 || score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

function assemble(space: TpeSpace, point: readonly number[]): Params {
  const values: Params = { ...space.constants };
  space.dims.forEach((dim, d) => (values[dim.path] = dim.decode(point[d]!)));
  return Object.fromEntries(space.order.map((path) => [path, values[path]]));
}
