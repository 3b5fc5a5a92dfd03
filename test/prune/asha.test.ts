import { describe, expect, it } from 'vitest';
import { ashaPruner, rungSteps } from '../../src/prune/asha.js';
import { at, curve, evenly, record } from './curves.js';

const asha = ashaPruner('minimize', { minSteps: 100, eta: 3 });
/** Trials that reached rung 100 with these values (evaluated every 100 steps, flat curves). */
const atRung = (values: number[], state: 'running' | 'complete' | 'pruned' | 'failed' = 'running') =>
  values.map((v, i) => record(i, state, evenly(100, 100, () => v)));

describe('ASHA', () => {
  it('puts rungs at min_steps·eta^k below the trial\'s steps', () => {
    expect(rungSteps(100, 3, 2000)).toEqual([100, 300, 900]);
    expect(rungSteps(100, 3, 900)).toEqual([100, 300]);
    expect(rungSteps(100, 2, 1000)).toEqual([100, 200, 400, 800]);
    expect(rungSteps(100, 3, 2000, 1)).toEqual([300, 900]);
  });

  it('says why it prunes: the value, the rung, how many were kept of how many, and the value needed', () => {
    expect(asha.decide(at(9, curve({ 100: 2.5 }), 2000), atRung([1, 2, 3, 4, 5]))).toEqual({
      verdict: 'prune',
      reason: '2.5 at step 100 is not in the top 2 of 6 there (needed 2 or better)',
    });
    // an evaluation past the rung says which rung it was judged at
    expect(asha.decide(at(9, curve({ 150: 2.5 }), 2000), atRung([1, 2]))).toEqual({
      verdict: 'prune',
      reason: '2.5 at step 150 (rung 100) is not in the top 1 of 3 there (needed 1 or better)',
    });
  });

  it('lets the first trial at a rung through', () => {
    expect(asha.decide(at(9, curve({ 100: 50 }), 2000), [])).toEqual({ verdict: 'continue' });
  });

  it('with fewer than eta values at a rung, keeps only the best so far (ties favour the trial)', () => {
    expect(asha.decide(at(9, curve({ 100: 2 }), 2000), atRung([1]))).toMatchObject({ verdict: 'prune' });
    expect(asha.decide(at(9, curve({ 100: 1 }), 2000), atRung([1]))).toEqual({ verdict: 'continue' });
    expect(asha.decide(at(9, curve({ 100: 0.5 }), 2000), atRung([1]))).toEqual({ verdict: 'continue' });
  });

  it('keeps the top ⌊n/eta⌋ of the n values recorded at the rung, the trial\'s own included', () => {
    const five = atRung([1, 2, 3, 4, 5]); // with the trial, n = 6: the top 2 go on
    expect(asha.decide(at(9, curve({ 100: 1.5 }), 2000), five)).toEqual({ verdict: 'continue' });
    expect(asha.decide(at(9, curve({ 100: 2 }), 2000), five)).toEqual({ verdict: 'continue' });
    expect(asha.decide(at(9, curve({ 100: 2.5 }), 2000), five)).toMatchObject({ verdict: 'prune' });
    const eight = atRung([1, 2, 3, 4, 5, 6, 7, 8]); // n = 9: the top 3
    expect(asha.decide(at(9, curve({ 100: 2.5 }), 2000), eight)).toEqual({ verdict: 'continue' });
    expect(asha.decide(at(9, curve({ 100: 3.5 }), 2000), eight)).toMatchObject({ verdict: 'prune' });
  });

  it('counts every trial that recorded a value at the rung, whatever its state now, but not the trial itself', () => {
    expect(asha.decide(at(9, curve({ 100: 2 }), 2000), atRung([1], 'pruned'))).toMatchObject({ verdict: 'prune' });
    expect(asha.decide(at(9, curve({ 100: 2 }), 2000), atRung([1], 'complete'))).toMatchObject({ verdict: 'prune' });
    expect(asha.decide(at(9, curve({ 100: 2 }), 2000), [record(9, 'running', curve({ 100: 1 }))])).toEqual({ verdict: 'continue' });
    // a trial still short of the rung has no value there yet
    expect(asha.decide(at(9, curve({ 100: 2 }), 2000), [record(1, 'running', curve({ 50: 0.1 }))])).toEqual({ verdict: 'continue' });
  });

  it('decides only at evaluations that reach a rung', () => {
    const others = atRung([1, 1, 1, 1, 1]).map((r) => record(r.number, 'running', evenly(100, 300, () => 1)));
    expect(asha.decide(at(9, curve({ 100: 0.5, 200: 50 }), 2000), others)).toEqual({ verdict: 'continue' }); // 200 is no rung
    expect(asha.decide(at(9, curve({ 100: 0.5, 200: 50, 300: 50 }), 2000), others)).toMatchObject({ verdict: 'prune' }); // 300 is
  });

  it('takes a trial\'s first evaluation at or after a rung as its value there', () => {
    // Others evaluated at 150, 300, …: their rung-100 values are those at 150.
    const others = [1, 2, 3, 4, 5].map((v, i) => record(i, 'running', curve({ 150: v, 300: 100 })));
    expect(asha.decide(at(9, curve({ 100: 1.5 }), 2000), others)).toEqual({ verdict: 'continue' });
    expect(asha.decide(at(9, curve({ 100: 2.5 }), 2000), others)).toMatchObject({ verdict: 'prune' });
    // The trial itself evaluated every 250 steps reaches rung 100 at step 250.
    expect(asha.decide(at(9, curve({ 250: 2.5 }), 2000), atRung([1, 2, 3, 4, 5]))).toMatchObject({ verdict: 'prune' });
  });

  it('applies every rung one evaluation crosses', () => {
    // Evaluated only at 1000: it crosses 100, 300 and 900 at once; fine at 100 and 300, worst at 900.
    const others = [0, 1, 2, 3, 4].map((i) => record(i, 'running', curve({ 100: 10, 300: 10, 900: 0.1 * (i + 1) })));
    expect(asha.decide(at(9, curve({ 1000: 1 }), 2000), others)).toMatchObject({ verdict: 'prune' });
    expect(asha.decide(at(9, curve({ 1000: 0.05 }), 2000), others)).toEqual({ verdict: 'continue' });
  });

  it('never prunes at the last step', () => {
    expect(asha.decide(at(9, curve({ 100: 50 }), 100), atRung([1, 1, 1]))).toEqual({ verdict: 'continue' });
  });

  it('keeps the largest values when the goal is maximize', () => {
    const up = ashaPruner('maximize', { minSteps: 100, eta: 3 });
    expect(up.decide(at(9, curve({ 100: 4.5 }), 2000), atRung([1, 2, 3, 4, 5]))).toEqual({ verdict: 'continue' });
    expect(up.decide(at(9, curve({ 100: 3.5 }), 2000), atRung([1, 2, 3, 4, 5]))).toMatchObject({ verdict: 'prune' });
  });
});
