// Parameter importance for the dashboard: recomputed from the complete trials the dashboard state
// already holds, at 10, 20, 40, 80, … complete trials and when the sweep ends. A fit costs about a
// tenth of a second on the run's main thread, so it is done a handful of times per sweep, never per event.
import { parameterImportance, MIN_IMPORTANCE_TRIALS } from '../analysis/importance.js';
import type { Parameter } from '../search/space.js';
import type { DashboardState, ParamImportance } from './state.js';

export class ImportanceFeed {
  private nextAt = MIN_IMPORTANCE_TRIALS;
  private computedFor = -1;

  constructor(private readonly parameters: readonly Parameter[]) {}

  /**
   * The importances to show for `state`, or undefined when they need no update: at each doubling of
   * the complete trials, and once more when `final` (the sweep is over) with trials not yet counted.
   */
  update(state: DashboardState, final = false): readonly ParamImportance[] | undefined {
    const complete = [...state.trials.values()].filter((t) => t.state === 'complete' && t.current !== null);
    const due = complete.length >= this.nextAt || (final && complete.length !== this.computedFor && complete.length >= MIN_IMPORTANCE_TRIALS);
    if (!due) return undefined;
    while (this.nextAt <= complete.length) this.nextAt *= 2;
    this.computedFor = complete.length;
    const result = parameterImportance(
      this.parameters,
      complete.map((t) => ({ params: t.params, value: t.current! })),
    );
    return result.ok ? result.importances.map((p) => ({ param: p.parameter, importance: p.importance })) : undefined;
  }
}
