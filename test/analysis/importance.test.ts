import { describe, expect, it } from 'vitest';
import { parameterImportance, type ImportanceTrial } from '../../src/analysis/importance.js';
import { mainEffectShares } from '../../src/analysis/fanova.js';
import type { FeatureDomain, Leaf } from '../../src/analysis/forest.js';
import type { Parameter, Params } from '../../src/search/space.js';
import { sampleDistribution } from '../../src/search/sample.js';
import { Rng } from '../../src/rng.js';

const SPACE: Parameter[] = [
  { path: 'a', distribution: { type: 'float', low: 0, high: 1, log: false } },
  { path: 'b', distribution: { type: 'float', low: 0, high: 1, log: false } },
  { path: 'c', distribution: { type: 'categorical', choices: ['x', 'y', 'z'] } },
  { path: 'lr', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true } },
  { path: 'width', distribution: { type: 'int', low: 8, high: 64, log: false, step: 8 } },
  { path: 'fixed', distribution: { type: 'categorical', choices: ['only'] } },
];

function trials(n: number, f: (p: Params) => number, seed = 1): ImportanceTrial[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const params = Object.fromEntries(SPACE.map((p) => [p.path, sampleDistribution(p.distribution, rng)]));
    return { params, value: f(params) };
  });
}

function importances(result: ReturnType<typeof parameterImportance>): Record<string, number> {
  if (!result.ok) throw new Error(result.reason);
  return Object.fromEntries(result.importances.map((r) => [r.parameter, r.importance]));
}

describe('parameter importance (fANOVA on a random forest)', () => {
  it('gives everything to the one parameter that explains the metric, nothing to the others', () => {
    const result = parameterImportance(SPACE, trials(100, (p) => 10 * (p.a as number)));
    const imp = importances(result);
    expect(result.ok && result.importances[0]!.parameter).toBe('a');
    expect(imp.a).toBeGreaterThan(0.9);
    for (const other of ['b', 'c', 'lr', 'width']) expect(imp[other]).toBeLessThan(0.04);
    // constant parameters are not ranked, and the importances sum to 1
    expect(imp.fixed).toBeUndefined();
    expect(Object.values(imp).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
    expect(result.ok && result.mainEffects).toBeGreaterThan(0.9);
  });

  it('splits additive effects by their variance: y = 10 + a + 2b gives b about 4/5', () => {
    const result = parameterImportance(SPACE, trials(200, (p) => 10 + (p.a as number) + 2 * (p.b as number)));
    expect(result.ok && result.target).toBe('value');
    const imp = importances(result);
    expect(imp.b).toBeGreaterThan(0.7);
    expect(imp.b).toBeLessThan(0.9);
    expect(imp.a).toBeGreaterThan(0.1);
    expect(imp.a).toBeLessThan(0.3);
  });

  it('ranks a categorical parameter by its categories', () => {
    const level: Record<string, number> = { x: 0, y: 5, z: 10 };
    const imp = importances(parameterImportance(SPACE, trials(100, (p) => level[p.c as string]! + 0.1 * (p.a as number))));
    expect(imp.c).toBeGreaterThan(0.9);
  });

  it('sees log-scale parameters on their log scale, and explains log10 of a metric that spans decades', () => {
    // The metric is 10^((log10(lr) + 3)²): from 1 to 10^4, so its log10 is explained.
    const result = parameterImportance(SPACE, trials(100, (p) => 10 ** ((Math.log10(p.lr as number) + 3) ** 2)));
    expect(result.ok && result.target).toBe('log10');
    expect(importances(result).lr).toBeGreaterThan(0.9);
    const narrow = parameterImportance(SPACE, trials(100, (p) => 2 + (p.a as number)));
    expect(narrow.ok && narrow.target).toBe('value');
  });

  it('reports a pure interaction as small main effects', () => {
    const result = parameterImportance(SPACE, trials(300, (p) => ((p.a as number) - 0.5) * ((p.b as number) - 0.5)));
    expect(result.ok && result.mainEffects).toBeLessThan(0.35);
  });

  it('is deterministic', () => {
    const data = trials(60, (p) => (p.a as number) * (p.width as number));
    expect(parameterImportance(SPACE, data)).toEqual(parameterImportance(SPACE, data));
  });

  it('needs enough complete trials, a metric that varies, and parameters that vary', () => {
    const few = parameterImportance(SPACE, trials(9, (p) => p.a as number));
    expect(few).toEqual({ ok: false, reason: 'parameter importance needs at least 10 complete trials; there are 9' });
    expect(parameterImportance(SPACE, trials(20, () => 3)).ok).toBe(false);
    expect(parameterImportance([SPACE[5]!], trials(20, (p) => p.a as number)).ok).toBe(false);
    // trials whose values are not in the space (or not finite) do not count
    const odd = trials(12, (p) => p.a as number).map((t, i) => (i < 3 ? { ...t, params: { ...t.params, c: 'w' } } : t));
    expect(parameterImportance(SPACE, odd).ok).toBe(false);
  });
});

describe('fANOVA main effects of one tree', () => {
  const square: FeatureDomain[] = [
    { kind: 'numeric', low: 0, high: 1 },
    { kind: 'numeric', low: 0, high: 1 },
  ];
  const box = (a: [number, number], b: [number, number], value: number): Leaf => ({
    value,
    regions: [
      { kind: 'numeric', low: a[0], high: a[1] },
      { kind: 'numeric', low: b[0], high: b[1] },
    ],
  });

  it('are exact on hand-built trees', () => {
    // a step in a only
    expect(mainEffectShares([box([0, 0.5], [0, 1], 0), box([0.5, 1], [0, 1], 1)], square)).toEqual([1, 0]);
    // 1[a > 0.5] + 1[b > 0.5]: half each
    const additive = [box([0, 0.5], [0, 0.5], 0), box([0, 0.5], [0.5, 1], 1), box([0.5, 1], [0, 0.5], 1), box([0.5, 1], [0.5, 1], 2)];
    expect(mainEffectShares(additive, square)).toEqual([0.5, 0.5]);
    // XOR: all interaction
    const xor = [box([0, 0.5], [0, 0.5], 0), box([0, 0.5], [0.5, 1], 1), box([0.5, 1], [0, 0.5], 1), box([0.5, 1], [0.5, 1], 0)];
    expect(mainEffectShares(xor, square)).toEqual([0, 0]);
    // unequal widths: a step at a = 0.25 has variance 3/16 and explains all of it
    const shares = mainEffectShares([box([0, 0.25], [0, 1], 1), box([0.25, 1], [0, 1], 0)], square)!;
    expect(shares[0]).toBeCloseTo(1, 12);
    // a constant tree explains nothing
    expect(mainEffectShares([box([0, 1], [0, 1], 3)], square)).toBeNull();
  });

  it('handle categorical regions', () => {
    const domains: FeatureDomain[] = [{ kind: 'categorical', size: 3 }, { kind: 'numeric', low: 0, high: 1 }];
    const leaves: Leaf[] = [
      { value: 0, regions: [{ kind: 'categorical', members: [true, false, false] }, { kind: 'numeric', low: 0, high: 1 }] },
      { value: 3, regions: [{ kind: 'categorical', members: [false, true, true] }, { kind: 'numeric', low: 0, high: 1 }] },
    ];
    const shares = mainEffectShares(leaves, domains)!;
    expect(shares[0]).toBeCloseTo(1, 12);
    expect(shares[1]).toBe(0);
  });
});
