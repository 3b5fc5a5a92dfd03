// Predictions on raw variables: the trial's features, the stored standardisation, the network and
// the head; range flags per row (bounds evaluated on the row); and --check's target and metric.
import { beforeAll, describe, expect, it } from 'vitest';
import { flagRows, makePredictor, predictRows, rangeChecks } from '../../src/artifacts/index.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import type { SweepSpec } from '../../src/spec/types.js';
import { affineModel, artifactOf, loglinearSpec, trialConfig } from './fixtures.js';

const columns = (values: Record<string, number[]>) => new Map(Object.entries(values).map(([k, v]) => [k, Float64Array.from(v)]));

describe('range checks', () => {
  const spec = loglinearSpec();

  it('flag values below or above their bounds, evaluating formula bounds on the row', () => {
    const rows = columns({ a: [2, 0.4, 2, 2], b: [5, 5, 15, 5], c: [10, 10, 10, 200] });
    expect(flagRows(rangeChecks(spec), rows, 4)).toEqual([
      [],
      ['a = 0.4 is below its min 0.5'],
      ['b = 15 is above its max a + 10 = 12'],
      ['c = 200 is above its max 100'],
    ]);
  });

  it('treat the bounds as inclusive', () => {
    const rows = columns({ a: [0.5, 20], b: [1, 30], c: [1, 100] });
    expect(flagRows(rangeChecks(spec), rows, 2)).toEqual([[], []]);
  });

  it('know int_uniform, values and constant variables', () => {
    const problem = {
      variables: {
        n: { distribution: 'int_uniform', min: 1.5, max: 9 },
        k: { distribution: 'uniform', values: [1, 2, 4] },
        s: { distribution: 'uniform', value: 3 },
      },
    } as unknown as SweepSpec['problem'];
    const rows = columns({ n: [2, 1, 2.5, 9], k: [4, 1, 3, 2], s: [3, 3, 3, 2.5] });
    expect(flagRows(rangeChecks({ problem }), rows, 4)).toEqual([
      [],
      ['n = 1 is below its min 2'],
      ['n = 2.5 is not a whole number (it was sampled int_uniform)', 'k = 3 is not one of its sampled values 1, 2, 4'],
      ['s = 2.5, but it was always 3 in training'],
    ]);
  });
});

describe('predictRows', () => {
  let backend: LoadedBackend;
  const spec = loglinearSpec();
  const config = trialConfig(spec, { 'model.depth': 0 });
  // net = log 3 + 2·log a − log b on raw features, through a standardisation: pred = exp(net) = 3a²/b.
  const model = affineModel(Math.log(3), [2, -1, 0], { mean: [1.2, 1.9, 2.3], std: [1.1, 0.7, 1.3] });
  const predictor = makePredictor(artifactOf(spec, config, model));

  beforeAll(async () => {
    backend = await loadBackend('wasm');
  });

  it("applies the trial's features, standardisation, network and head", () => {
    const rows = columns({ a: [1, 2, 10], b: [1, 4, 5], c: [5, 50, 99] });
    const result = predictRows(backend, predictor, rows, 3);
    const expected = [3, 3, 60];
    result.pred.forEach((p, i) => expect(p / expected[i]! - 1).toBeLessThan(1e-5));
    result.pred.forEach((p, i) => expect(p).toBe(Math.exp(result.net[i]!)));
    expect(result.flags).toEqual([[], [], []]);
    expect(result.target).toBeUndefined();
  });

  it('with check, adds the target and every metric per row', () => {
    const rows = columns({ a: [1, 2], b: [1, 4], c: [5, 50] });
    const result = predictRows(backend, predictor, rows, 2, { check: true });
    expect([...result.target!]).toEqual([3, 3]);
    const rel = result.metrics!.get('rel_l1')!;
    rel.forEach((v, i) => expect(v).toBe(Math.abs(result.pred[i]! - 3) / 3));
    expect(rel[0]).toBeLessThan(1e-5);
  });

  it('flags a row whose feature is not finite, saying why, and never hides it', () => {
    const rows = columns({ a: [-1, 2], b: [1, 2], c: [5, 5] });
    const result = predictRows(backend, predictor, rows, 2);
    expect(result.flags[0]).toEqual(['a = -1 is below its min 0.5', 'feature 1 (log(a)) is NaN: log(a) is log of -1 (not positive)']);
    expect(result.flags[1]).toEqual([]);
    expect(Number.isNaN(result.pred[0])).toBe(true);
  });
});
