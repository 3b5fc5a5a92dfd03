// Asynchronous successive halving (ASHA, Li et al. 2018), deciding as Ray Tune's ASHA and Optuna's
// SuccessiveHalvingPruner do: with what is known when a trial reaches a rung, never waiting for
// the rest of the rung to fill up.
//
// Rungs sit at min_steps·eta^k steps (k = 0, 1, …), below the trial's planned steps. A trial
// reaches rung r at its first evaluation at a step ≥ r, and that evaluation's value is its value
// at the rung (so one evaluation may cross several rungs, and then counts for each). There it
// continues only if its value is among the top ⌊n/eta⌋ of the n values recorded at the rung so
// far, its own included, by any trial of the sweep (running, complete, pruned or failed):
//   - ties favour the trial: it is pruned only when ⌊n/eta⌋ or more values are strictly better;
//   - a rung with fewer than eta values keeps the trial only if it is the best so far there
//     (top max(1, ⌊n/eta⌋)); so the first trial at a rung always continues.
import { isBetter, previousStep, valueAtOrAfter } from './curve.js';
import { formatMetric } from '../format.js';
import { CONTINUE, type CurveRecord, type EvalPoint, type PruneDecision, type Pruner } from './pruner.js';

export interface AshaOptions {
  minSteps: number;
  /** Reduction factor: about 1/eta of the trials reaching a rung go on to the next. */
  eta: number;
}

/** Rung steps min_steps·eta^(offset + k) below `steps`; `offset` is a Hyperband bracket's index. */
export function rungSteps(minSteps: number, eta: number, steps: number, offset = 0): number[] {
  const rungs: number[] = [];
  for (let rung = minSteps * eta ** offset; rung < steps; rung *= eta) rungs.push(rung);
  return rungs;
}

export function ashaPruner(goal: 'minimize' | 'maximize', options: AshaOptions): Pruner {
  return {
    decide: (trial, others) => successiveHalving(trial, others, rungSteps(options.minSteps, options.eta, trial.steps), options.eta, goal),
  };
}

/** The decision at one evaluation, given the rungs that apply to the trial and the trials it competes with. */
export function successiveHalving(
  trial: EvalPoint,
  others: readonly CurveRecord[],
  rungs: readonly number[],
  eta: number,
  goal: 'minimize' | 'maximize',
): PruneDecision {
  if (trial.step >= trial.steps) return CONTINUE;
  const previous = previousStep(trial.curve, trial.step);
  for (const rung of rungs) {
    if (!(previous < rung && rung <= trial.step)) continue;
    const recorded = others
      .filter((o) => o.number !== trial.number)
      .map((o) => valueAtOrAfter(o.curve, rung))
      .filter((v): v is number => v !== undefined);
    const kept = Math.max(1, Math.floor((recorded.length + 1) / eta));
    const better = recorded.filter((v) => isBetter(v, trial.value, goal)).length;
    if (better >= kept) {
      // The value a trial had to match to go on: the kept-th best of the others at this rung.
      const cutoff = [...recorded].sort((a, b) => (goal === 'minimize' ? a - b : b - a))[kept - 1]!;
      const at = trial.step === rung ? `step ${rung}` : `step ${trial.step} (rung ${rung})`;
      return {
        verdict: 'prune',
        reason: `${formatMetric(trial.value)} at ${at} is not in the top ${kept} of ${recorded.length + 1} there (needed ${formatMetric(cutoff)} or better)`,
      };
    }
  }
  return CONTINUE;
}
