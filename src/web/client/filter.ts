// The page-wide filter every view applies: which trial states, which value range, and the trials
// brushed on the parallel coordinates (the table shows those).
import type { SweepView, TrialRow, TrialState } from '../view-model.js';

export const STATES: readonly TrialState[] = ['complete', 'pruned', 'failed', 'running', 'queued'];

export const STATE_COLOURS: Record<TrialState, string> = {
  complete: '#3b6fd4',
  pruned: '#e8962e',
  failed: '#d43b3b',
  running: '#2ca25f',
  queued: '#9a9a9a',
};

export interface Filter {
  states: Set<TrialState>;
  /** Inclusive bounds on the value; null: unbounded. Trials without a value pass only when both are null. */
  min: number | null;
  max: number | null;
  /** Trial numbers brushed on the parallel coordinates; null: no brush. */
  brushed: Set<number> | null;
}

export function defaultFilter(): Filter {
  return { states: new Set(STATES), min: null, max: null, brushed: null };
}

export function passes(filter: Filter, trial: TrialRow): boolean {
  if (!filter.states.has(trial.state)) return false;
  if (filter.min === null && filter.max === null) return true;
  if (trial.value === null) return false;
  if (filter.min !== null && trial.value < filter.min) return false;
  if (filter.max !== null && trial.value > filter.max) return false;
  return true;
}

export function filtered(view: SweepView, filter: Filter): TrialRow[] {
  return view.trials.filter((t) => passes(filter, t));
}

/** Whether values of this metric are best read on a log axis: all positive, spanning more than a decade. */
export function wantsLog(values: Iterable<number | null>): boolean {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v <= 0) return false;
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  return high > low * 10;
}
