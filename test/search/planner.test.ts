import { describe, expect, it } from 'vitest';
import { makePlanner } from '../../src/search/planner.js';
import { gridValues, type Parameter } from '../../src/search/space.js';
import { sampleDistribution } from '../../src/search/sample.js';
import { Rng } from '../../src/rng.js';

const params: Parameter[] = [
  { path: 'features', distribution: { type: 'categorical', choices: ['a', 'b'] } },
  { path: 'model.width', distribution: { type: 'int', low: 8, high: 24, log: false, step: 8 } },
];

describe('grid planner', () => {
  it('enumerates the cartesian product, last parameter fastest', () => {
    const planner = makePlanner({ method: 'grid', parameters: params, trialCount: 6, seed: 0 });
    const all = Array.from({ length: 6 }, (_, i) => planner.ask(i, []));
    expect(all).toEqual([
      { features: 'a', 'model.width': 8 },
      { features: 'a', 'model.width': 16 },
      { features: 'a', 'model.width': 24 },
      { features: 'b', 'model.width': 8 },
      { features: 'b', 'model.width': 16 },
      { features: 'b', 'model.width': 24 },
    ]);
  });

  it('grids float ranges with a step, and refuses continuous ones', () => {
    expect(gridValues({ type: 'float', low: 0.1, high: 0.3, log: false, step: 0.1 })).toEqual([0.1, 0.2, 0.3]);
    expect(typeof gridValues({ type: 'float', low: 0.1, high: 0.3, log: false })).toBe('string');
  });
});

describe('random planner', () => {
  const space: Parameter[] = [
    ...params,
    { path: 'training.lr', distribution: { type: 'float', low: 1e-4, high: 1e-1, log: true } },
  ];

  it('is reproducible from the seed and independent of asking order', () => {
    const a = makePlanner({ method: 'random', parameters: space, trialCount: 10, seed: 3 });
    const b = makePlanner({ method: 'random', parameters: space, trialCount: 10, seed: 3 });
    expect(a.ask(7, [])).toEqual(b.ask(7, []));
    const forward = Array.from({ length: 10 }, (_, i) => a.ask(i, []));
    const backward = Array.from({ length: 10 }, (_, i) => b.ask(9 - i, [])).reverse();
    expect(forward).toEqual(backward);
    const other = makePlanner({ method: 'random', parameters: space, trialCount: 10, seed: 4 });
    expect(other.ask(0, [])).not.toEqual(a.ask(0, []));
  });

  it('samples within bounds, on the step, and log-uniformly', () => {
    const rng = new Rng(1);
    const lrs: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const width = sampleDistribution(params[1]!.distribution, rng) as number;
      expect([8, 16, 24]).toContain(width);
      const lr = sampleDistribution(space[2]!.distribution, rng) as number;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-1);
      lrs.push(lr);
    }
    // log-uniform over 3 decades: about a third of the samples in each decade
    const belowMilli = lrs.filter((v) => v < 1e-3).length / lrs.length;
    expect(belowMilli).toBeGreaterThan(0.28);
    expect(belowMilli).toBeLessThan(0.39);
  });
});
