import { describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { compileProblem } from '../../src/problem/compile.js';
import { featureNorm, packFeatures } from '../../src/problem/dataset.js';
import { summarize } from '../../src/problem/summary.js';
import { Rng } from '../../src/rng.js';
import { readFileSync } from 'node:fs';

const seedSweep = loadSweepText('seed-equation.yaml', readFileSync(new URL('../../sweeps/seed-equation.yaml', import.meta.url), 'utf8')).spec;

describe('problem sampling', () => {
  it('samples the seed variables inside their (dependent) ranges', () => {
    const problem = compileProblem(seedSweep);
    const n = 20_000;
    const v = problem.sampleVariables(n, new Rng(1));
    const x1 = v.get('x1')!;
    const x2 = v.get('x2')!;
    const x5 = v.get('x5')!;
    for (let i = 0; i < n; i++) {
      expect(x1[i]).toBeGreaterThanOrEqual(500);
      expect(x1[i]).toBeLessThanOrEqual(1000);
      expect(x2[i]).toBeGreaterThanOrEqual(1);
      expect(x2[i]).toBeLessThanOrEqual(x1[i]! - 1);
      expect(Number.isInteger(x5[i])).toBe(true);
    }
    expect(Math.min(...x5)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...x5)).toBeLessThanOrEqual(49999);
  });

  it('computes the target in float64 exactly as written', () => {
    const problem = compileProblem(seedSweep);
    const v = problem.sampleVariables(100, new Rng(2));
    const y = problem.targets[0]!.target.evaluate(v, 100);
    for (let i = 0; i < 100; i++) {
      const [x1, x2, x3, x4, x5] = ['x1', 'x2', 'x3', 'x4', 'x5'].map((k) => v.get(k)![i]!) as [number, number, number, number, number];
      // same grouping as the formula: ((x1 - x2)/(2*x3*x4) * x2) / x1
      expect(y[i]).toBe(x5 / x2 - (((x1 - x2) / (2 * x3 * x4)) * x2) / x1);
    }
  });

  it('is reproducible for a seed', () => {
    const problem = compileProblem(seedSweep);
    expect(problem.sampleVariables(10, new Rng(3)).get('x4')).toEqual(problem.sampleVariables(10, new Rng(3)).get('x4'));
  });
});

describe('features', () => {
  it('standardises with float64 statistics', () => {
    const columns = [Float64Array.from([1, 2, 3, 4]), Float64Array.from([5, 5, 5, 5])];
    const norm = featureNorm(columns, 4);
    expect(norm.mean).toEqual([2.5, 5]);
    expect(norm.std[0]).toBeCloseTo(Math.sqrt(1.25));
    expect(norm.std[1]).toBe(1); // a constant feature passes unchanged
    const packed = packFeatures(columns, norm, 4);
    expect(packed.length).toBe(8);
    expect(packed[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 6);
    expect(packed[1]).toBe(0);
  });
});

describe('summarize', () => {
  it('gives mean, median, p90 and max', () => {
    const s = summarize(Float64Array.from([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]));
    expect(s.mean).toBe(5.5);
    expect(s.median).toBe(5.5);
    expect(s.p90).toBeCloseTo(9.1);
    expect(s.max).toBe(10);
  });

  it('lets one non-finite sample poison the mean', () => {
    expect(summarize(Float64Array.from([1, Infinity])).mean).toBe(Infinity);
    expect(Number.isNaN(summarize(Float64Array.from([1, NaN])).mean)).toBe(true);
  });
});
