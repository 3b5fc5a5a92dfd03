// Median pruning, with the semantics of Optuna's MedianPruner: at an evaluation, a trial is
// pruned when its best value so far is worse than the median of the complete trials' values at
// that step. Nothing is pruned before `startupTrials` trials are complete, before `warmupSteps`,
// or between pruning points (one decision per `interval` steps after the warm-up).
//
// Steps between evaluations: a complete trial's value "at step s" is its latest evaluation at or
// before s, so trials evaluated on different schedules still compare; one that has no evaluation
// at or before s does not count.
import { isBetter, previousStep, valueAtOrBefore } from './curve.js';
import { formatMetric } from '../format.js';
import { CONTINUE, type CurveRecord, type EvalPoint, type PruneDecision, type Pruner } from './pruner.js';

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
      if (trial.step >= trial.steps) return CONTINUE;
      if (trial.step < options.warmupSteps) return CONTINUE;
      if (!isFirstInInterval(trial, options)) return CONTINUE;
      const complete = others.filter((o) => o.state === 'complete' && o.number !== trial.number);
      if (complete.length === 0 || complete.length < options.startupTrials) return CONTINUE;
      const reference = complete.map((o) => valueAtOrBefore(o.curve, trial.step)).filter((v): v is number => v !== undefined);
      if (reference.length < options.minTrials) return CONTINUE;
      const best = bestSoFar(trial, goal);
      const middle = median(reference);
      if (!isBetter(middle, best, goal)) return CONTINUE;
      return {
        verdict: 'prune',
        reason: `median rule at step ${trial.step}: best so far ${formatMetric(best)} is worse than the median ${formatMetric(middle)} of ${reference.length} complete trial${reference.length === 1 ? '' : 's'}`,
      };
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
