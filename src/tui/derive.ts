// What the components compute from a DashboardState: the rows to list (sorted, filtered), the
// parameters worth a column, progress, elapsed time and the ETA. Pure functions of the state.
import type { TrialState } from '../store/read.js';
import { isBetter, type DashboardState, type Goal, type TrialView } from './state.js';

export type SortKey = 'number' | 'metric';
export const SORT_KEYS: readonly SortKey[] = ['number', 'metric'];

export type StateFilter = 'all' | TrialState;
export const STATE_FILTERS: readonly StateFilter[] = ['all', 'running', 'complete', 'pruned', 'failed', 'queued'];

export function nextOf<T>(list: readonly T[], current: T): T {
  return list[(list.indexOf(current) + 1) % list.length]!;
}

/** The value a trial is ranked by: the final value when complete, else its latest evaluation. */
export function rankValue(trial: TrialView): number | null {
  return trial.current;
}

/** The trials to list, in order: by number, or best metric first (trials without one last, by number). */
export function visibleTrials(trials: Iterable<TrialView>, sort: SortKey, filter: StateFilter, goal: Goal): TrialView[] {
  const rows = [...trials].filter((t) => filter === 'all' || t.state === filter);
  if (sort === 'number') return rows.sort((a, b) => a.number - b.number);
  return rows.sort((a, b) => {
    const va = rankValue(a);
    const vb = rankValue(b);
    if (va === null || vb === null) return va === vb ? a.number - b.number : va === null ? 1 : -1;
    if (va === vb) return a.number - b.number;
    return isBetter(goal, va, vb) ? -1 : 1;
  });
}

/** Parameter paths whose values differ between the trials (all of them when fewer than two trials are known). */
export function varyingParams(trials: Iterable<TrialView>): string[] {
  const seen = new Map<string, Set<string>>();
  let count = 0;
  for (const trial of trials) {
    count++;
    for (const [path, value] of Object.entries(trial.params)) {
      const values = seen.get(path) ?? new Set<string>();
      values.add(JSON.stringify(value));
      seen.set(path, values);
    }
  }
  const paths = [...seen.keys()];
  return count < 2 ? paths : paths.filter((p) => seen.get(p)!.size > 1);
}

/** The short name of a parameter path for a column header: its last segment (`training.lr` → `lr`). */
export function shortParamName(path: string): string {
  return path.split('.').at(-1) ?? path;
}

/** Finished trials (this run and before) out of the plan. */
export function progress(state: DashboardState): { done: number; total: number } {
  const total = state.sweep?.total ?? 0;
  return { done: Math.min(total, state.doneBeforeRun + state.finishedInRun), total };
}

/** Seconds since the run began (to its end, once it ended). */
export function elapsedSeconds(state: DashboardState, now: number): number | null {
  if (state.runStartedAt === null) return null;
  return Math.max(0, ((state.runEndedAt ?? now) - state.runStartedAt) / 1000);
}

/**
 * What ends the sweep and when: the plan's cap at this run's throughput, or the time budget when
 * that comes first. A metric target can end it sooner still, at a moment no one can extrapolate:
 * then the ETA is an upper bound (`atMost`).
 */
export interface SweepEta {
  seconds: number | null;
  bound: 'cap' | 'budget';
  atMost: boolean;
}

export function sweepEta(state: DashboardState, now: number): SweepEta {
  const toCap = etaSeconds(state, now);
  const budget = state.sweep?.timeBudgetSeconds;
  const elapsed = elapsedSeconds(state, now);
  const atMost = state.sweep?.metric.target !== undefined;
  if (budget !== undefined && elapsed !== null && state.status === 'running') {
    const toBudget = Math.max(0, budget - elapsed);
    if (toCap === null || toBudget < toCap) return { seconds: toBudget, bound: 'budget', atMost };
  }
  return { seconds: toCap, bound: 'cap', atMost };
}

/**
 * Seconds left, extrapolating this run's throughput: trials finished in this run plus the finished
 * fraction of running ones, against what is left of the plan. Null until there is enough to go on.
 */
export function etaSeconds(state: DashboardState, now: number): number | null {
  if (state.status !== 'running' || !state.sweep) return null;
  const elapsed = elapsedSeconds(state, now);
  if (elapsed === null || elapsed < 1) return null;
  let work = state.finishedInRun;
  for (const trial of state.trials.values()) {
    if (trial.state === 'running' && trial.steps) work += Math.min(1, trial.step / trial.steps);
  }
  if (work < 0.05) return null;
  const left = state.sweep.total - state.doneBeforeRun - work;
  return Math.max(0, (left * elapsed) / work);
}
