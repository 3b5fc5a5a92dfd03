import { describe, expect, it } from 'vitest';
import { bracketCycle, bracketShares, hyperbandBracket, hyperbandPruner } from '../../src/prune/hyperband.js';
import { maxBrackets } from '../../src/prune/options.js';
import { makePruner } from '../../src/prune/pruner.js';
import { at, curve, record } from './curves.js';

describe('Hyperband', () => {
  it("sizes brackets by Hyperband's budget: the most aggressive bracket gets the most trials", () => {
    expect(bracketShares(3, 3)).toEqual([9, 5, 3]);
    expect(bracketShares(1, 3)).toEqual([1]);
    expect(bracketShares(4, 2)).toEqual([8, 6, 4, 4]);
  });

  it('deals trial numbers to brackets deterministically, interleaved, each its share of every cycle', () => {
    const cycle = bracketCycle(3, 3);
    expect(cycle).toHaveLength(17);
    expect([0, 1, 2].map((b) => cycle.filter((c) => c === b).length)).toEqual([9, 5, 3]);
    expect(cycle.slice(0, 8)).toEqual([0, 1, 0, 2, 0, 1, 0, 2]);
    expect(Array.from({ length: 40 }, (_, n) => hyperbandBracket(n, 3, 3))).toEqual(Array.from({ length: 40 }, (_, n) => cycle[n % 17]));
  });

  it('fits as many brackets as start pruning within training.steps', () => {
    expect(maxBrackets(100, 3, 2000)).toBe(3);
    expect(maxBrackets(100, 3, 2700)).toBe(4);
    expect(maxBrackets(100, 3, 150)).toBe(1);
  });

  it('compares a trial only with trials of its own bracket, at its own bracket\'s rungs', () => {
    const hb = hyperbandPruner('minimize', { minSteps: 100, eta: 3, brackets: 3 });
    // trial 0 and 2 are in bracket 0 (rungs 100, 300, 900); trial 1 and 5 in bracket 1 (rungs 300, 900)
    expect([0, 1, 2, 5].map((n) => hyperbandBracket(n, 3, 3))).toEqual([0, 1, 0, 1]);
    const strongBracket0 = record(0, 'running', curve({ 100: 0.1, 300: 0.1 }));
    // bracket 1 has no rung at 100
    expect(hb.decide(at(1, curve({ 100: 5 }), 2000), [strongBracket0])).toEqual({ verdict: 'continue' });
    // at 300 trial 1 competes with bracket 1 only: trial 0's 0.1 does not count…
    expect(hb.decide(at(1, curve({ 100: 5, 300: 5 }), 2000), [strongBracket0])).toEqual({ verdict: 'continue' });
    // …trial 5's does
    expect(hb.decide(at(1, curve({ 100: 5, 300: 5 }), 2000), [strongBracket0, record(5, 'running', curve({ 300: 0.1 }))])).toMatchObject({ verdict: 'prune' });
    // and trial 2 (bracket 0) is pruned at 100 by trial 0
    expect(hb.decide(at(2, curve({ 100: 5 }), 2000), [strongBracket0])).toMatchObject({ verdict: 'prune', reason: expect.stringMatching(/^bracket 0: 5 at step 100 is not in the top 1 of 2/) });
  });
});

describe('makePruner', () => {
  it('is null without early_terminate, and the configured pruner with it', () => {
    expect(makePruner({ metric: { goal: 'minimize' } })).toBeNull();
    const others = [record(0, 'running', curve({ 100: 1 }))];
    const trial = at(9, curve({ 100: 2 }), 2000);
    expect(makePruner({ metric: { goal: 'minimize' }, earlyTerminate: { type: 'asha', minSteps: 100, eta: 3 } })!.decide(trial, others)).toMatchObject({ verdict: 'prune' });
    expect(makePruner({ metric: { goal: 'maximize' }, earlyTerminate: { type: 'asha', minSteps: 100, eta: 3 } })!.decide(trial, others)).toEqual({ verdict: 'continue' });
    const median = makePruner({ metric: { goal: 'minimize' }, earlyTerminate: { type: 'median', startupTrials: 1, warmupSteps: 0, interval: 1, minTrials: 1 } })!;
    expect(median.decide(trial, [record(0, 'complete', curve({ 100: 1 }))])).toMatchObject({ verdict: 'prune' });
    expect(median.decide(trial, [record(0, 'running', curve({ 100: 1 }))])).toEqual({ verdict: 'continue' });
    const hb = makePruner({ metric: { goal: 'minimize' }, earlyTerminate: { type: 'hyperband', minSteps: 100, eta: 3, brackets: 3 } })!;
    expect(hb.decide(at(2, curve({ 100: 2 }), 2000), [record(0, 'running', curve({ 100: 1 }))])).toMatchObject({ verdict: 'prune' });
    expect(hb.decide(at(1, curve({ 100: 2 }), 2000), [record(0, 'running', curve({ 100: 1 }))])).toEqual({ verdict: 'continue' });
  });
});
