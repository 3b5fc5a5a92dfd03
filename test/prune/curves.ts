// Scripted curves for the pruner tests.
import type { CurveRecord, EvalPoint } from '../../src/prune/pruner.js';

export function curve(points: Record<number, number>): Map<number, number> {
  return new Map(Object.entries(points).map(([step, value]) => [Number(step), value]));
}

/** A curve evaluated every `every` steps up to `until`, with value f(step). */
export function evenly(every: number, until: number, f: (step: number) => number): Map<number, number> {
  const points = new Map<number, number>();
  for (let step = every; step <= until; step += every) points.set(step, f(step));
  return points;
}

export function record(number: number, state: CurveRecord['state'], points: Map<number, number>): CurveRecord {
  return { number, state, curve: points };
}

/** The trial at its latest evaluation. */
export function at(number: number, points: Map<number, number>, steps: number): EvalPoint {
  const step = Math.max(...points.keys());
  return { number, step, value: points.get(step)!, curve: points, steps };
}
