// Reading a curve (step → sweep metric) at a step the trial may not have evaluated: trials
// evaluate every eval_every steps, so the step a pruner asks about may fall between evaluations.
import type { Curve } from './pruner.js';

/** The value of the latest evaluation at or before `step` (median pruning compares these). */
export function valueAtOrBefore(curve: Curve, step: number): number | undefined {
  let bestStep = -Infinity;
  let value: number | undefined;
  for (const [s, v] of curve) {
    if (s <= step && s > bestStep) {
      bestStep = s;
      value = v;
    }
  }
  return value;
}

/** The value of the first evaluation at or after `step` (a trial's value at an ASHA rung). */
export function valueAtOrAfter(curve: Curve, step: number): number | undefined {
  let bestStep = Infinity;
  let value: number | undefined;
  for (const [s, v] of curve) {
    if (s >= step && s < bestStep) {
      bestStep = s;
      value = v;
    }
  }
  return value;
}

/** The trial's evaluation just before `step`, or -1 when `step` is its first. */
export function previousStep(curve: Curve, step: number): number {
  let previous = -1;
  for (const s of curve.keys()) if (s < step && s > previous) previous = s;
  return previous;
}

/** Whether `a` is better than `b` for the goal (strictly). */
export function isBetter(a: number, b: number, goal: 'minimize' | 'maximize'): boolean {
  return goal === 'minimize' ? a < b : a > b;
}
