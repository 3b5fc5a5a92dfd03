// explain: linear layers collapse to one affine map of the raw features; behind exp(net), log
// features become a monomial whose exponents are rounded to simple rationals; other heads get the
// affine formula substituted; nonlinear networks get the reason instead.
import { beforeAll, describe, expect, it } from 'vitest';
import { collapseAffine, compareOnHeldOut, explainModel, makePredictor, simpleRational, type ClosedForm } from '../../src/artifacts/index.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { ProblemData } from '../../src/train/data.js';
import { affineModel, artifactOf, loglinearSpec, randomModel, trialConfig } from './fixtures.js';

const NORM = { mean: [1.2, 1.9, 2.3], std: [1.1, 0.7, 1.3] };

describe('simpleRational', () => {
  it('rounds to p/q (q ≤ 12) only within 1e-3, smallest denominator first', () => {
    expect(simpleRational(2.0004)).toEqual({ p: 2, q: 1 });
    expect(simpleRational(-0.9991)).toEqual({ p: -1, q: 1 });
    expect(simpleRational(0.4996)).toEqual({ p: 1, q: 2 });
    expect(simpleRational(-0.6664)).toEqual({ p: -2, q: 3 });
    expect(simpleRational(0.0837)).toEqual({ p: 1, q: 12 });
    expect(simpleRational(0.00004)).toEqual({ p: 0, q: 1 });
    expect(simpleRational(2.0012)).toBeUndefined();
    expect(simpleRational(0.2871)).toBeUndefined();
    expect(simpleRational(Number.NaN)).toBeUndefined();
  });
});

describe('collapseAffine', () => {
  it('turns linear layers of any depth into the same affine map of the raw features', () => {
    const model = randomModel([3, 5, 4, 6, 1], ['linear', 'linear', 'linear'], 9);
    const collapsed = collapseAffine(model);
    expect(collapsed.ok).toBe(true);
    const { intercept, coefficients } = (collapsed as { ok: true; affine: { intercept: number; coefficients: number[] } }).affine;
    // The layers one by one in float64, on standardised features, at a few raw points.
    for (const raw of [[0, 0, 0], [1, -2, 3], [10, 0.5, -7]]) {
      let h = raw.map((f, i) => (f - model.norm.mean[i]!) / model.norm.std[i]!);
      model.kernels.forEach((kernel, layer) => {
        const outputs = model.layerSizes[layer + 1]!;
        h = Array.from({ length: outputs }, (_, j) => h.reduce((sum, v, k) => sum + v * kernel[k * outputs + j]!, model.biases[layer]![j]!));
      });
      const affine = raw.reduce((sum, f, i) => sum + coefficients[i]! * f, intercept);
      expect(affine).toBeCloseTo(h[0]!, 10);
    }
  });

  it('refuses a nonlinear network, naming the layer and its activation', () => {
    const collapsed = collapseAffine(randomModel([3, 4, 4, 1], ['linear', 'tanh']));
    expect(collapsed).toMatchObject({ ok: false });
    expect((collapsed as { reason: string }).reason).toMatch(/^hidden layer 2 of 2 uses tanh; a nonlinear activation makes net a nonlinear function of the features/);
    const two = collapseAffine(randomModel([3, 4, 4, 4, 1], ['relu', 'linear', 'elu']));
    expect((two as { reason: string }).reason).toMatch(/^hidden layers 1, 3 of 3 use relu, elu; /);
  });
});

describe('explainModel', () => {
  const spec = loglinearSpec();
  const explain = (head: string, intercept: number, coefficients: number[]) =>
    explainModel(artifactOf(spec, trialConfig(spec, { 'model.depth': 0, 'model.head': head }), affineModel(intercept, coefficients, NORM))) as ClosedForm;

  it('behind exp(net), turns log features into a monomial with rounded exponents', () => {
    const e = explain('exp(net)', Math.log(3), [2, -1, 0]);
    expect(e.closedForm).toBe(true);
    expect(e.form).toBe('exp');
    e.terms.forEach((t, i) => expect(t.power!.exponent).toBeCloseTo([2, -1, 0][i]!, 5));
    expect(e.terms.map((t) => [t.power!.base, t.power!.rounded])).toEqual([
      ['a', { p: 2, q: 1 }],
      ['b', { p: -1, q: 1 }],
      ['c', { p: 0, q: 1 }],
    ]);
    expect(e.expNet!.constant).toBeCloseTo(3, 5);
    expect(e.pred.rounded).toBe('3*a^2/b');
    expect(e.rounding).toMatchObject({ rounded: 3, of: 3, constant: true });
  });

  it('keeps exponents that are not near a simple rational, and writes fractional ones as p/q', () => {
    const e = explain('exp(net)', Math.log(0.25), [0.5004, -2.0003, 0.2871]);
    expect(e.pred.rounded).toMatch(/^a\^\(1\/2\)\*c\^0\.2871\d*\/\(4\*b\^2\)$/);
    expect(e.pred.learned).toMatch(/^0\.25\d*\*a\^0\.500\d+\*c\^0\.287\d+\/b\^2\.000\d+$/);
    expect(e.rounding).toMatchObject({ rounded: 2, of: 3 });
  });

  it('substitutes the monomial into a head around exp(net)', () => {
    expect(explain('scale * (1 - exp(net))', Math.log(0.5), [1, 0, -1]).pred.rounded).toBe('scale*(1 - a/(2*c))');
  });

  it('shows the affine formula itself for a head without exp(net)', () => {
    const e = explain('net', Math.log(3), [2, -1, 0]);
    expect(e.form).toBe('affine');
    expect(e.expNet).toBeUndefined();
    expect(e.pred.rounded).toBe('1.098612 + 2*log(a) - log(b)');
    expect(e.net.rounded).toBe(e.pred.rounded);
  });

  it('substitutes both where the head uses net inside and outside exp', () => {
    const e = explain('net + exp(net)', 0, [1, 0, 0]);
    expect(e.form).toBe('mixed');
    expect(e.pred.rounded).toBe('log(a) + a');
  });

  it('gives the reason for a nonlinear network', () => {
    const e = explainModel(artifactOf(spec, trialConfig(spec, { 'model.depth': 1, 'model.activation': 'relu' }), randomModel([3, 16, 1], ['relu'])));
    expect(e).toMatchObject({ closedForm: false });
    expect((e as { reason: string }).reason).toMatch(/^hidden layer 1 of 1 uses relu; /);
  });
});

describe('compareOnHeldOut', () => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend('wasm');
  });

  it("measures the network, the learned formula and the rounded one with the sweep's metric on its held-out set", () => {
    const spec = loglinearSpec();
    // Slightly off exponents: the rounded formula is exact, the network and the learned formula are not.
    const artifact = artifactOf(spec, trialConfig(spec, { 'model.depth': 0 }), affineModel(Math.log(3), [2.0002, -0.9997, 0.0001], NORM));
    const explanation = explainModel(artifact) as ClosedForm;
    const heldOut = new ProblemData(spec).validation;
    const comparison = compareOnHeldOut(backend, makePredictor(artifact), explanation, heldOut);
    expect(comparison).toMatchObject({ n: 2048, metric: 'rel_l1' });
    expect(comparison.network).toBeGreaterThan(1e-4);
    expect(comparison.learned / comparison.network).toBeCloseTo(1, 2);
    expect(comparison.rounded).toBeLessThan(1e-12);
  });
});
