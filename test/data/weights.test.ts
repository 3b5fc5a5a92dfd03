// Loss weights (a data problem's `weights:` column): the batch loss is Σ w·loss / Σ w and its
// gradient w·dloss/dnet / Σ w; an all-zero batch teaches nothing.
import { describe, expect, it } from 'vitest';
import { compileTrainingLoss } from '../../src/train/loss.js';
import { parseFormula } from '../../src/formula/index.js';

function formula(source: string, names: string[]) {
  const parsed = parseFormula(source, names);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.formula;
}

describe('a weighted training loss', () => {
  const loss = compileTrainingLoss(formula('net', ['net']), formula('(pred - target)^2', ['pred', 'net', 'target']), 4);
  const net = Float32Array.from([1, 2, 3, 4]);
  const columns = new Map([['target', Float64Array.from([0, 0, 0, 0])]]);

  it('is the weighted mean, with the weighted gradient', () => {
    const dnet = new Float32Array(4);
    const value = loss.evaluate(net, columns, 4, dnet, Float64Array.from([1, 0, 2, 1]));
    expect(value).toBeCloseTo((1 * 1 + 0 * 4 + 2 * 9 + 1 * 16) / 4, 12);
    expect([...dnet]).toEqual([2 * 1 * 1, 0, 2 * 3 * 2, 2 * 4 * 1].map((g) => Math.fround(g / 4)));
  });

  it('equals the plain mean with equal weights', () => {
    const plain = new Float32Array(4);
    const weighted = new Float32Array(4);
    expect(loss.evaluate(net, columns, 4, weighted, Float64Array.from([3, 3, 3, 3]))).toBeCloseTo(loss.evaluate(net, columns, 4, plain), 12);
    expect([...weighted]).toEqual([...plain]);
  });

  it('gives 0 and no gradient for a batch whose weights are all 0', () => {
    const dnet = new Float32Array(4).fill(7);
    expect(loss.evaluate(net, columns, 4, dnet, new Float64Array(4))).toBe(0);
    expect([...dnet]).toEqual([0, 0, 0, 0]);
  });
});
