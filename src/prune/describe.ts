// The pruner a sweep uses, in words, for `sweepdeck validate`.
import { rungSteps } from './asha.js';
import { bracketShares } from './hyperband.js';
import type { EarlyTerminateSpec } from './options.js';

/** Lines describing the pruner for a trial of `steps` steps. */
export function describeEarlyTerminate(et: EarlyTerminateSpec, steps: number): string[] {
  const list = (rungs: number[]) =>
    rungs.length === 0 ? `no rung below step ${steps}: never prunes` : `${rungs.length === 1 ? 'rung at step' : 'rungs at steps'} ${rungs.join(', ')} of ${steps}`;
  switch (et.type) {
    case 'median':
      return [
        `early termination: median (Optuna's MedianPruner): once ${et.startupTrials} trial${et.startupTrials === 1 ? ' is' : 's are'} complete, ` +
          `a trial whose best value so far is worse than the median of the complete trials at the same step is pruned ` +
          `(from step ${et.warmupSteps}, ${et.interval === 1 ? 'at every evaluation' : `once every ${et.interval} steps`}, with at least ${et.minTrials} value${et.minTrials === 1 ? '' : 's'} to compare)`,
      ];
    case 'asha':
      if (rungSteps(et.minSteps, et.eta, steps).length === 0) return [`early termination: asha, min_steps ${et.minSteps}: ${list([])}`];
      return [
        `early termination: asha (asynchronous successive halving), eta ${et.eta}: ${list(rungSteps(et.minSteps, et.eta, steps))}; ` +
          `at each, a trial goes on only if it is in the top 1/${et.eta} of the values recorded there so far`,
      ];
    case 'hyperband': {
      const shares = bracketShares(et.brackets, et.eta);
      const total = shares.reduce((a, b) => a + b, 0);
      return [
        `early termination: hyperband, ${et.brackets} bracket${et.brackets === 1 ? '' : 's'} of asynchronous successive halving, eta ${et.eta}; a trial competes only within its bracket:`,
        ...shares.map((share, s) => `  bracket ${s} (${share} of every ${total} trials): ${list(rungSteps(et.minSteps, et.eta, steps, s))}`),
      ];
    }
  }
}
