import { describe, expect, it } from 'vitest';
import { explainNonFinite } from '../../src/formula/index.js';
import { parse } from './helpers.js';

const NAMES = ['x1', 'x2', 'x3', 'x4', 'x5'];
const env = (values: Record<string, number>): Map<string, number> => new Map(Object.entries(values));

describe('explainNonFinite', () => {
  it.each([
    ['log(x1 - x2 - 600) + x3', { x1: 700, x2: 112.5, x3: 1 }, 'log(x1 - x2 - 600) is log of -12.5 (not positive)'],
    ['2 * log10(x1)', { x1: 0 }, 'log10(x1) is log10 of 0 (not positive)'],
    ['log1p(x1)', { x1: -2 }, 'log1p(x1) is log1p of -2 (not greater than -1)'],
    ['x5/(x2 - x2)', { x5: 1, x2: 3 }, 'x5/(x2 - x2) divides by 0'],
    ['1 + (x1 - x1)/(x2 - x2)', { x1: 1, x2: 3 }, '(x1 - x1)/(x2 - x2) divides by 0'],
    ['x3 * sqrt(x4 - 1)', { x3: 2, x4: 0.0005 }, 'sqrt(x4 - 1) is sqrt of -0.9995 (negative)'],
    ['exp(x5) - 1', { x5: 23000 }, 'exp(x5) overflows (exp of 2.3e4)'],
    ['x1 * x2', { x1: 1e200, x2: -1e200 }, 'x1 * x2 overflows (1e200 * -1e200)'],
    ['x1 ^ 0.5', { x1: -2 }, 'x1 ^ 0.5 is -2 to the power 0.5 (negative base, fractional exponent)'],
    ['pow(x1, -1)', { x1: 0 }, 'pow(x1, -1) divides by 0 (0 to the power -1)'],
    ['x1 + x2', { x1: NaN, x2: 1 }, 'x1 is NaN'],
  ])('%s at %j', (source, values, message) => {
    expect(explainNonFinite(parse(source, NAMES), env(values))).toBe(message);
  });

  it('returns null for finite values, even when an intermediate overflowed and recovered', () => {
    expect(explainNonFinite(parse('log(x1)', NAMES), env({ x1: 2 }))).toBeNull();
    expect(explainNonFinite(parse('exp(-exp(x1))', NAMES), env({ x1: 1000 }))).toBeNull();
  });

  it('blames the sub-expression that made the result non-finite, not an earlier recovered one', () => {
    const formula = parse('exp(-exp(x1)) + log(x2)', NAMES);
    expect(explainNonFinite(formula, env({ x1: 1000, x2: -1 }))).toBe('log(x2) is log of -1 (not positive)');
  });

  it('quotes the innermost failing sub-expression of the seed target', () => {
    const formula = parse('x5/x2 - (x1 - x2)/(2*x3*x4) * x2/x1', NAMES);
    expect(explainNonFinite(formula, env({ x1: 1, x2: 2, x3: 0, x4: 5, x5: 1 }))).toBe('(x1 - x2)/(2*x3*x4) divides by 0');
  });
});
