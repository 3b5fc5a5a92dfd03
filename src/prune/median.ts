// Median pruning, with the semantics of Optuna's MedianPruner: at an evaluation, a trial is
// pruned when its best value so far is worse than the median of the complete trials' values at
// that step. Nothing is pruned before `startupTrials` trials are complete, before `warmupSteps`,
// or between pruning points (one decision per `interval` steps after the warm-up).
//
// Steps between evaluations: a complete trial's value "at step s" is its latest evaluation at or
// before s, so trials evaluated on different schedules still compare; one that has no evaluation
// at or before s does not count.
import { isBetter, previousStep, valueAtOrBefore } from './curve.js';
import type { CurveRecord, EvalPoint, PruneDecision, Pruner } from './pruner.js';

export interface MedianOptions {
  /** Complete trials needed before anything is pruned. */
  startupTrials: number;
  /** Steps a trial trains before it can be pruned. */
  warmupSteps: number;
  /** After the warm-up, decide at the first evaluation at or after every `interval` steps. */
  interval: number;
  /** Complete trials with a value at the step, at least, for the median to count. */
  minTrials: number;
}

export function medianPruner(goal: 'minimize' | 'maximize', options: MedianOptions): Pruner {
  return {
    decide(trial: EvalPoint, others: readonly CurveRecord[]): PruneDecision {
      // The last evaluation is the trial's result: it completes, there is nothing left to save.
      if (trial.step >= trial.steps) return 'continue';
      if (trial.step < options.warmupSteps) return 'continue';
      if (!isFirstInInterval(trial, options)) return 'continue';
      const complete = others.filter((o) => o.state === 'complete' && o.number !== trial.number);
      if (complete.length === 0 || complete.length < options.startupTrials) return 'continue';
      const reference = complete.map((o) => valueAtOrBefore(o.curve, trial.step)).filter((v): v is number => v !== undefined);
      if (reference.length < options.minTrials) return 'continue';
      const best = bestSoFar(trial, goal);
      return isBetter(median(reference), best, goal) ? 'prune' : 'continue';
    },
  };
}

/** As Optuna's: the evaluation is the first one at or after the latest pruning point (warm-up + k·interval). */
function isFirstInInterval(trial: EvalPoint, options: MedianOptions): boolean {
  const point = Math.floor((trial.step - options.warmupSteps) / options.interval) * options.interval + options.warmupSteps;
  return previousStep(trial.curve, trial.step) < point;
}

function bestSoFar(trial: EvalPoint, goal: 'minimize' | 'maximize'): number {
  let best = trial.value;
  for (const [step, value] of trial.curve) if (step <= trial.step && isBetter(value, best, goal)) best = value;
  return best;
}

/** The median; for an even count, the mean of the middle two (numpy's 50th percentile). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
