import { describe, expect, it } from 'vitest';
import { median, medianPruner } from '../../src/prune/median.js';
import { MEDIAN_DEFAULTS } from '../../src/prune/options.js';
import { at, curve, evenly, record } from './curves.js';

// Five complete trials evaluated every 100 of 1000 steps; at step s, trial i has i + 1 − s/1000.
// At step 200 they read 0.8, 1.8, 2.8, 3.8, 4.8: the median is 2.8.
const complete = [0, 1, 2, 3, 4].map((i) => record(i, 'complete', evenly(100, 1000, (s) => i + 1 - s / 1000)));
const pruner = medianPruner('minimize', { ...MEDIAN_DEFAULTS });

describe('median pruning', () => {
  it('prunes a trial whose best value so far is worse than the median at that step', () => {
    expect(pruner.decide(at(9, curve({ 100: 3.2, 200: 3.0 }), 1000), complete)).toMatchObject({ verdict: 'prune' });
    expect(pruner.decide(at(9, curve({ 100: 3.2, 200: 2.5 }), 1000), complete)).toEqual({ verdict: 'continue' });
  });

  it('says why it prunes: the step, the best value so far and the median it lost to', () => {
    expect(pruner.decide(at(9, curve({ 100: 3.2, 200: 3.0 }), 1000), complete)).toEqual({
      verdict: 'prune',
      reason: 'median rule at step 200: best so far 3 is worse than the median 2.8 of 5 complete trials',
    });
  });

  it('keeps a trial equal to the median (only worse is pruned)', () => {
    expect(pruner.decide(at(9, curve({ 100: 3.2, 200: 2.8 }), 1000), complete)).toEqual({ verdict: 'continue' });
  });

  it("judges the trial by its best value so far, as Optuna's does", () => {
    expect(pruner.decide(at(9, curve({ 100: 2.0, 200: 3.5 }), 1000), complete)).toEqual({ verdict: 'continue' });
  });

  it('prunes nothing before startup_trials trials are complete', () => {
    const trial = at(9, curve({ 100: 50, 200: 50 }), 1000);
    expect(pruner.decide(trial, complete.slice(0, 4))).toEqual({ verdict: 'continue' });
    expect(medianPruner('minimize', { ...MEDIAN_DEFAULTS, startupTrials: 4 }).decide(trial, complete.slice(0, 4))).toMatchObject({ verdict: 'prune' });
    expect(medianPruner('minimize', { ...MEDIAN_DEFAULTS, startupTrials: 0 }).decide(trial, [])).toEqual({ verdict: 'continue' });
  });

  it('compares with complete trials only: running, pruned and failed ones are not the reference', () => {
    const bad = [10, 11, 12, 13, 14, 15].map((n, i) => record(n, (['running', 'pruned', 'failed'] as const)[i % 3]!, evenly(100, 1000, () => 100)));
    expect(pruner.decide(at(9, curve({ 100: 3.2, 200: 3.0 }), 1000), [...complete, ...bad])).toMatchObject({ verdict: 'prune' });
  });

  it('prunes nothing before warmup_steps', () => {
    const warm = medianPruner('minimize', { ...MEDIAN_DEFAULTS, warmupSteps: 300 });
    expect(warm.decide(at(9, curve({ 100: 9, 200: 9 }), 1000), complete)).toEqual({ verdict: 'continue' });
    expect(warm.decide(at(9, curve({ 100: 9, 200: 9, 300: 9 }), 1000), complete)).toMatchObject({ verdict: 'prune' });
  });

  it('decides at the first evaluation at or after each pruning point (warm-up + k·interval)', () => {
    const every300 = medianPruner('minimize', { ...MEDIAN_DEFAULTS, warmupSteps: 100, interval: 300 });
    const bad = evenly(100, 1000, () => 9);
    const decisions = [100, 200, 300, 400, 500, 600, 700, 800].map(
      (step) => every300.decide(at(9, new Map([...bad].filter(([s]) => s <= step)), 1000), complete).verdict,
    );
    expect(decisions).toEqual(['prune', 'continue', 'continue', 'prune', 'continue', 'continue', 'prune', 'continue']);
    // evaluated every 250 steps instead: 250 is the first at or after 100, 500 after 400, 750 after 700
    const coarse = evenly(250, 1000, () => 9);
    const coarseDecisions = [250, 500, 750].map((step) => every300.decide(at(9, new Map([...coarse].filter(([s]) => s <= step)), 1000), complete).verdict);
    expect(coarseDecisions).toEqual(['prune', 'prune', 'prune']);
  });

  it("reads other trials at their latest evaluation at or before the step", () => {
    // Evaluated at 150, 250, …: at step 200 their values are those of step 150 (i + 1 − 0.15).
    const offset = [0, 1, 2, 3, 4].map((i) => record(i, 'complete', evenly(50, 1000, (s) => i + 1 - s / 1000)));
    const shifted = offset.map((r) => record(r.number, 'complete', new Map([...r.curve].filter(([s]) => s % 100 === 50))));
    // median at 200 = 3 − 0.15 = 2.85: 2.83 continues, 2.87 is pruned
    expect(pruner.decide(at(9, curve({ 100: 3, 200: 2.83 }), 1000), shifted)).toEqual({ verdict: 'continue' });
    expect(pruner.decide(at(9, curve({ 100: 3, 200: 2.87 }), 1000), shifted)).toMatchObject({ verdict: 'prune' });
    // trials with no evaluation yet at that step do not count; with none left, nothing is pruned
    const late = complete.map((r) => record(r.number, 'complete', new Map([...r.curve].filter(([s]) => s >= 500))));
    expect(pruner.decide(at(9, curve({ 100: 50, 200: 50 }), 1000), late)).toEqual({ verdict: 'continue' });
  });

  it('needs min_trials values at the step', () => {
    const two = complete.map((r, i) => (i < 2 ? r : record(r.number, 'complete', new Map([...r.curve].filter(([s]) => s >= 500)))));
    const trial = at(9, curve({ 100: 50, 200: 50 }), 1000);
    expect(medianPruner('minimize', { ...MEDIAN_DEFAULTS, minTrials: 2 }).decide(trial, two)).toMatchObject({ verdict: 'prune' });
    expect(medianPruner('minimize', { ...MEDIAN_DEFAULTS, minTrials: 3 }).decide(trial, two)).toEqual({ verdict: 'continue' });
  });

  it('never prunes at the last step: the trial is complete', () => {
    expect(pruner.decide(at(9, evenly(100, 1000, () => 50), 1000), complete)).toEqual({ verdict: 'continue' });
  });

  it('prunes the smaller values when the goal is maximize', () => {
    const up = medianPruner('maximize', { ...MEDIAN_DEFAULTS });
    expect(up.decide(at(9, curve({ 100: 2.5, 200: 2.7 }), 1000), complete)).toMatchObject({ verdict: 'prune' });
    expect(up.decide(at(9, curve({ 100: 2.5, 200: 2.9 }), 1000), complete)).toEqual({ verdict: 'continue' });
  });

  it('takes the mean of the middle two for an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
  });
});
