import { describe, expect, it } from 'vitest';
import { ParzenEstimator, bandwidths, rampWeights } from '../../src/search/parzen.js';
import { logStdNormalMass, logSumExp, sampleTruncNormal } from '../../src/search/gaussian.js';
import { Rng } from '../../src/rng.js';

describe('normal arithmetic', () => {
  it('gives interval masses accurately, far into the tails', () => {
    expect(Math.exp(logStdNormalMass(-1, 1))).toBeCloseTo(0.6826894921, 7);
    // Q(5) − Q(6) = 2.866515719e-7 − 9.865876450e-10
    expect(logStdNormalMass(5, 6)).toBeCloseTo(Math.log(2.85664984e-7), 5);
    expect(logStdNormalMass(-6, -5)).toBeCloseTo(logStdNormalMass(5, 6), 12);
    // log Q(40) = log(φ(40)/40 · (1 − 1/40² + 3/40⁴ …)) = −804.60844…
    expect(logStdNormalMass(40, Infinity)).toBeCloseTo(-804.608443, 4);
    // a narrow bin is its midpoint density times its width
    expect(logStdNormalMass(0.1, 0.1 + 1e-6)).toBeCloseTo(-0.5 * 0.1000005 ** 2 - 0.5 * Math.log(2 * Math.PI) + Math.log(1e-6), 8);
    expect(logStdNormalMass(1, 1)).toBe(-Infinity);
  });

  it('draws truncated normals inside the bounds', () => {
    const rng = new Rng(1);
    const draws = Array.from({ length: 2000 }, () => sampleTruncNormal(rng, 0.9, 0.5, 0, 1));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
    // P(x > 0.5) = (Φ(0.2) − Φ(−0.8)) / (Φ(0.2) − Φ(−1.8)) = 0.676
    expect(draws.filter((d) => d > 0.5).length / draws.length).toBeCloseTo(0.676, 1);
  });

  it('sums in log space', () => {
    expect(logSumExp([Math.log(1), Math.log(3)])).toBeCloseTo(Math.log(4), 12);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.log(2), 9);
    expect(logSumExp([-Infinity])).toBe(-Infinity);
  });
});

describe('Parzen estimator', () => {
  it('weighs the latest 25 observations fully and ramps older ones down', () => {
    expect(rampWeights(3)).toEqual([1, 1, 1]);
    expect(rampWeights(25)).toEqual(Array(25).fill(1));
    const w = rampWeights(30);
    expect(w).toHaveLength(30);
    expect(w.slice(0, 5).map((x) => +x.toFixed(4))).toEqual([0.0333, 0.275, 0.5167, 0.7583, 1]);
    expect(w.slice(5)).toEqual(Array(25).fill(1));
  });

  it('sets univariate bandwidths from the neighbours, ignoring the ends, with the magic clip', () => {
    // On [0, 10], observations 2, 3, 9 and the prior's centre 5. Raw widths: 2 → 1 (its inner gap),
    // 3 → max(1, 2) = 2, 9 → 4 (its inner gap); the clip raises everything to 10 / (3 + 2) = 2.
    expect(bandwidths([2, 3, 9], 0, 10, { multivariate: false, spaceDims: 1 })).toEqual([2, 2, 4]);
    // With many observations the clip is 1/100 of the range
    const dense = Array.from({ length: 200 }, (_, i) => i / 20);
    expect(Math.min(...bandwidths(dense, 0, 10, { multivariate: false, spaceDims: 1 }))).toBeCloseTo(0.1, 12);
  });

  it('sets multivariate bandwidths by a Scott-like rule: 0.2·n^(−1/(d+4)) of the range', () => {
    expect(bandwidths([1, 2, 3, 4], 0, 10, { multivariate: true, spaceDims: 4 })).toEqual(Array(4).fill(0.2 * 4 ** (-1 / 8) * 10));
  });

  it('is a normalised density: numeric, stepped and categorical', () => {
    const pe = new ParzenEstimator(
      [{ kind: 'numeric', low: 0, high: 1 }, { kind: 'numeric', low: 0, high: 4, step: 1 }, { kind: 'categorical', size: 3 }],
      [[0.2, 1, 0], [0.7, 3, 2]],
      [1, 1],
      { priorWeight: 1, multivariate: true, spaceDims: 3 },
    );
    // integrate: Σ over the stepped and categorical values, midpoint rule over the continuous one
    let total = 0;
    const cells = 2000;
    for (let i = 0; i < cells; i++) {
      for (let s = 0; s <= 4; s++) for (let c = 0; c < 3; c++) total += Math.exp(pe.logPdf([(i + 0.5) / cells, s, c])) / cells;
    }
    expect(total).toBeCloseTo(1, 4);
    // and its samples are valid points
    for (const [x, s, c] of pe.sample(new Rng(2), 200)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
      expect([0, 1, 2, 3, 4]).toContain(s);
      expect([0, 1, 2]).toContain(c);
    }
  });

  it('puts most of its mass near the observations', () => {
    const pe = new ParzenEstimator([{ kind: 'categorical', size: 4 }], [[2], [2], [2], [1]], [1, 1, 1, 1], { priorWeight: 1, multivariate: true, spaceDims: 1 });
    const p = [0, 1, 2, 3].map((c) => Math.exp(pe.logPdf([c])));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Kernels weigh 1/5 each (4 observations and the prior). An observation's kernel is
    // (floor + one-hot) normalised, floor = 1/5: for choice 2, [0.2, 0.2, 1.2, 0.2] / 1.8.
    expect(p[2]).toBeCloseTo((3 / 5) * (1.2 / 1.8) + (1 / 5) * (0.2 / 1.8) + (1 / 5) * 0.25, 12);
    expect(p[1]).toBeCloseTo((3 / 5) * (0.2 / 1.8) + (1 / 5) * (1.2 / 1.8) + (1 / 5) * 0.25, 12);
  });
});
