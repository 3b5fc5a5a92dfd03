import { describe, expect, it } from 'vitest';
import { printFormula, type FormulaNode } from '../../src/formula/index.js';
import { parse, seededUniform, shape } from './helpers.js';

describe('printFormula', () => {
  it.each([
    ['x5/x2 - exp(net)', 'x5/x2 - exp(net)'],
    ['  a +b*  c ', 'a + b*c'],
    ['((a)) * ((b + c))', 'a*(b + c)'],
    ['a - (b - c)', 'a - (b - c)'],
    ['a + (b + c)', 'a + (b + c)'],
    ['(a - b) - c', 'a - b - c'],
    ['a / (b * c)', 'a/(b*c)'],
    ['(a^b)^c', '(a^b)^c'],
    ['a**b**c', 'a^b^c'],
    ['-x^2', '-x^2'],
    ['(-x)^2', '(-x)^2'],
    ['2^-x', '2^(-x)'],
    ['- -x', '-(-x)'],
    ['-(a*b)', '-(a*b)'],
    ['max(a,b , c)', 'max(a, b, c)'],
    ['1e-7 * x + .5', '1e-7*x + 0.5'],
  ])('%s → %s', (source, printed) => {
    expect(printFormula(parse(source, ['a', 'b', 'c', 'x', 'x2', 'x5', 'net']).root)).toBe(printed);
  });

  it('reparses to the same tree for random trees', () => {
    const uniform = seededUniform(2024);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(uniform(0, items.length))]!;
    const randomTree = (depth: number): FormulaNode => {
      const leaf = depth <= 0 || uniform(0, 1) < 0.2;
      if (leaf) {
        return uniform(0, 1) < 0.5
          ? { kind: 'name', name: pick(['a', 'b', 'c', 'pi']), start: 0, end: 0 }
          : { kind: 'number', value: pick([0, 1, 2, 0.5, 1e-7, 3e21, 12.25]), start: 0, end: 0 };
      }
      const choice = uniform(0, 1);
      if (choice < 0.15) return { kind: 'neg', arg: randomTree(depth - 1), start: 0, end: 0 };
      if (choice < 0.3) {
        const fn = pick(['log', 'max', 'clip', 'pow'] as const);
        const arity = fn === 'log' ? 1 : fn === 'clip' ? 3 : fn === 'pow' ? 2 : 2 + Math.floor(uniform(0, 2));
        return { kind: 'call', fn, args: Array.from({ length: arity }, () => randomTree(depth - 1)), start: 0, end: 0 };
      }
      return { kind: 'binary', op: pick(['+', '-', '*', '/', '^'] as const), left: randomTree(depth - 1), right: randomTree(depth - 1), start: 0, end: 0 };
    };
    for (let i = 0; i < 300; i++) {
      const tree = randomTree(5);
      const printed = printFormula(tree);
      expect(shape(parse(printed, ['a', 'b', 'c']).root), printed).toBe(shape(tree));
    }
  });
});
