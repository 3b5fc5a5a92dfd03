// Pruners decide, at each evaluation of a running trial, whether it is worth going on. They are
// pure functions of the trial's curve and the other trials' curves of the sweep metric (what the
// DB holds); the orchestrator asks them and the worker obeys. Implementations: median.ts, asha.ts,
// hyperband.ts; makePruner (below) picks one from the sweep's `early_terminate`.
import { ashaPruner } from './asha.js';
import { hyperbandPruner } from './hyperband.js';
import { medianPruner } from './median.js';
import type { EarlyTerminateSpec } from './options.js';

/** step → the sweep metric at that step (finite values only). */
export type Curve = ReadonlyMap<number, number>;

export interface CurveRecord {
  number: number;
  state: 'running' | 'complete' | 'pruned' | 'failed';
  curve: Curve;
}

export interface EvalPoint {
  number: number;
  /** The step just evaluated, and the sweep metric there. */
  step: number;
  value: number;
  /** The trial's whole curve so far, this evaluation included. */
  curve: Curve;
  /** The trial's planned steps. */
  steps: number;
}

/** A pruner's answer at one evaluation; a prune says why, in words (it becomes the trial's recorded reason). */
export type PruneDecision = { verdict: 'continue' } | { verdict: 'prune'; reason: string };

export const CONTINUE: PruneDecision = Object.freeze({ verdict: 'continue' });

export interface Pruner {
  decide(trial: EvalPoint, others: readonly CurveRecord[]): PruneDecision;
}

/** The pruner a sweep's `early_terminate` describes, or null without one. */
export function makePruner(spec: { metric: { goal: 'minimize' | 'maximize' }; earlyTerminate?: EarlyTerminateSpec }): Pruner | null {
  const { earlyTerminate: et } = spec;
  const goal = spec.metric.goal;
  if (!et) return null;
  switch (et.type) {
    case 'median':
      return medianPruner(goal, et);
    case 'asha':
      return ashaPruner(goal, et);
    case 'hyperband':
      return hyperbandPruner(goal, et);
  }
}
