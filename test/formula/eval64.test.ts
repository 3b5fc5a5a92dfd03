import { describe, expect, it } from 'vitest';
import { compileF64, evalScalar, type Float64Columns } from '../../src/formula/index.js';
import { parse, seededUniform } from './helpers.js';

const SEED_TARGET = 'x5/x2 - (x1 - x2)/(2*x3*x4) * x2/x1';
const SEED_NAMES = ['x1', 'x2', 'x3', 'x4', 'x5'];

function stableSoftplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Every function against its Math reference, on inputs inside its domain. */
const FUNCTION_CASES: [string, (x: number, y: number, z: number) => number, [number, number]][] = [
  ['log(x)', (x) => Math.log(x), [0.01, 50]],
  ['ln(x)', (x) => Math.log(x), [0.01, 50]],
  ['log10(x)', (x) => Math.log10(x), [0.01, 50]],
  ['log2(x)', (x) => Math.log2(x), [0.01, 50]],
  ['log1p(x)', (x) => Math.log1p(x), [-0.9, 50]],
  ['exp(x)', (x) => Math.exp(x), [-5, 5]],
  ['expm1(x)', (x) => Math.expm1(x), [-5, 5]],
  ['sqrt(x)', (x) => Math.sqrt(x), [0, 50]],
  ['square(x)', (x) => x * x, [-5, 5]],
  ['abs(x)', (x) => Math.abs(x), [-5, 5]],
  ['sign(x)', (x) => Math.sign(x), [-5, 5]],
  ['min(x, y)', (x, y) => Math.min(x, y), [-5, 5]],
  ['max(x, y)', (x, y) => Math.max(x, y), [-5, 5]],
  ['min(x, y, z)', (x, y, z) => Math.min(x, y, z), [-5, 5]],
  ['max(x, y, z, 0)', (x, y, z) => Math.max(x, y, z, 0), [-5, 5]],
  ['pow(x, y)', (x, y) => Math.pow(x, y), [0.1, 3]],
  ['x^y', (x, y) => Math.pow(x, y), [0.1, 3]],
  ['x**2', (x) => x * x, [-5, 5]],
  ['sin(x)', (x) => Math.sin(x), [-5, 5]],
  ['cos(x)', (x) => Math.cos(x), [-5, 5]],
  ['tan(x)', (x) => Math.tan(x), [-1.5, 1.5]],
  ['tanh(x)', (x) => Math.tanh(x), [-5, 5]],
  ['sigmoid(x)', (x) => 1 / (1 + Math.exp(-x)), [-10, 10]],
  ['softplus(x)', stableSoftplus, [-10, 10]],
  ['clip(x, -1, 2)', (x) => Math.min(Math.max(x, -1), 2), [-5, 5]],
  ['clip(x, y, z)', (x, y, z) => Math.min(Math.max(x, y), z), [-5, 5]],
  ['clip(2, y, z)', (_x, y, z) => Math.min(Math.max(2, y), z), [-5, 5]],
  ['min(1, x)', (x) => Math.min(1, x), [-5, 5]],
];

describe('compileF64 and evalScalar against Math', () => {
  const n = 200;
  it.each(FUNCTION_CASES)('%s', (source, reference, [lo, hi]) => {
    const uniform = seededUniform(source.length * 7919);
    const columns = new Map(['x', 'y', 'z'].map((name) => [name, Float64Array.from({ length: n }, () => uniform(lo, hi))]));
    const formula = parse(source);
    const values = compileF64(formula)(columns, n);
    expect(values).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const x = columns.get('x')![i]!;
      const y = columns.get('y')![i]!;
      const z = columns.get('z')![i]!;
      const expected = reference(x, y, z);
      expect(values[i]).toBeCloseTo(expected, 12);
      expect(evalScalar(formula, new Map([['x', x], ['y', y], ['z', z]]))).toBeCloseTo(expected, 12);
    }
  });

  it('softplus and sigmoid stay finite and accurate at extreme inputs', () => {
    const formula = parse('softplus(x) + sigmoid(x)');
    expect(evalScalar(formula, new Map([['x', 1000]]))).toBe(1001);
    expect(evalScalar(formula, new Map([['x', -1000]]))).toBe(0);
    expect(evalScalar(parse('softplus(x)'), new Map([['x', -40]]))).toBeCloseTo(Math.exp(-40), 30);
  });

  it('matches the ops exactly, NaN included', () => {
    const formula = parse('log(x) + sqrt(y) / z');
    const columns = new Map([
      ['x', Float64Array.of(-1, 1, 2)],
      ['y', Float64Array.of(4, -4, 9)],
      ['z', Float64Array.of(2, 2, 0)],
    ]);
    const [first, second, third] = compileF64(formula)(columns, 3);
    expect(first).toBeNaN();
    expect(second).toBeNaN();
    expect(third).toBe(Infinity);
  });
});

describe('the seed target', () => {
  const reference = (x1: number, x2: number, x3: number, x4: number, x5: number): number =>
    x5 / x2 - ((x1 - x2) / (2 * x3 * x4)) * (x2 / x1);

  it('evaluates correctly on columns', () => {
    const uniform = seededUniform(42);
    const n = 1000;
    const columns: Float64Columns = new Map(SEED_NAMES.map((name) => [name, Float64Array.from({ length: n }, () => uniform(0.5, 10))]));
    const formula = parse(SEED_TARGET, SEED_NAMES);
    const values = compileF64(formula)(columns, n);
    for (let i = 0; i < n; i++) {
      const [x1, x2, x3, x4, x5] = SEED_NAMES.map((name) => columns.get(name)![i]!) as [number, number, number, number, number];
      expect(values[i]).toBeCloseTo(reference(x1, x2, x3, x4, x5), 12);
    }
  });

  it('gives a known value at a hand-checked point', () => {
    const formula = parse(SEED_TARGET, SEED_NAMES);
    // 6/3 - (2-3)/(2*1*2) * 3/2 = 2 + 0.25*1.5 = 2.375
    const env = new Map([['x1', 2], ['x2', 3], ['x3', 1], ['x4', 2], ['x5', 6]]);
    expect(evalScalar(formula, env)).toBe(2.375);
    const columns = new Map([...env].map(([name, value]) => [name, Float64Array.of(value)]));
    expect([...compileF64(formula)(columns, 1)]).toEqual([2.375]);
  });
});

describe('columns and rows', () => {
  it('uses only the first n rows of longer columns', () => {
    const evaluate = compileF64(parse('x*2 + 1'));
    expect([...evaluate(new Map([['x', Float64Array.of(1, 2, 3, 4)]]), 2)]).toEqual([3, 5]);
    expect(evaluate(new Map([['x', Float64Array.of(1, 2, 3, 4)]]), 0)).toHaveLength(0);
  });

  it('never returns or modifies an input column', () => {
    const x = Float64Array.of(1, 2, 3);
    const columns = new Map([['x', x]]);
    const same = compileF64(parse('x'))(columns, 3);
    expect(same).not.toBe(x);
    same[0] = 99;
    expect(x[0]).toBe(1);
    compileF64(parse('(x + 1) * (x - 1) + -x + abs(x) + max(x, x, 0)'))(columns, 3);
    expect([...x]).toEqual([1, 2, 3]);
  });

  it('reuses temporaries without mixing up operands', () => {
    const columns = new Map([['x', Float64Array.of(1, 2, 3)], ['y', Float64Array.of(4, 5, 6)]]);
    const values = compileF64(parse('(x + y) * (x - y) / (y - x) - (2 - x) ^ 2 + 1 / (y * 2)'))(columns, 3);
    const expected = [0, 1, 2].map((i) => {
      const x = columns.get('x')![i]!;
      const y = columns.get('y')![i]!;
      return ((x + y) * (x - y)) / (y - x) - (2 - x) ** 2 + 1 / (y * 2);
    });
    expect([...values]).toEqual(expected);
  });

  it('folds constant formulas into filled columns', () => {
    expect([...compileF64(parse('2*pi - -1'))(new Map(), 3)]).toEqual([2 * Math.PI + 1, 2 * Math.PI + 1, 2 * Math.PI + 1]);
  });

  it('throws a programming error naming a missing or short column', () => {
    const evaluate = compileF64(parse('x + y'));
    expect(() => evaluate(new Map([['x', new Float64Array(3)]]), 3)).toThrow(/"y"/);
    expect(() => evaluate(new Map([['x', new Float64Array(3)], ['y', new Float64Array(2)]]), 3)).toThrow(/"y" has 2 rows/);
    expect(() => evalScalar(parse('x + y'), new Map([['x', 1]]))).toThrow(/"y"/);
  });
});

describe('compileF64 with an output buffer', () => {
  // Formulas whose temporaries take the buffer at different depths: a plain name (copied), one
  // branch of work, two branches (a second temporary), a constant, three operands, nested calls.
  const FORMULAS = ['x', 'log(x)', 'x + log(y)', 'x*y + z*x', '(x - y)/(x + y) * log(z) - exp(-y)', '3*pi', 'clip(x, y, z)', 'max(x, y, z, 0) + min(x*y, z)', SEED_TARGET.replace(/x[1-5]/g, (v) => ({ x1: 'x', x2: 'y', x3: 'z', x4: 'x', x5: 'y' })[v]!)];
  const n = 257;
  const draw = seededUniform(11);
  const column = () => Float64Array.from({ length: n }, () => draw(0.5, 3));
  const columns: Float64Columns = new Map([
    ['x', column()],
    ['y', column()],
    ['z', column()],
  ]);
  for (const source of FORMULAS) {
    it(`writes ${source} into the buffer, equal to a fresh evaluation, leaving the columns as they were`, () => {
      const evaluate = compileF64(parse(source));
      const before = [...columns.values()].map((c) => [...c]);
      const expected = evaluate(columns, n);
      const buffer = new Float64Array(n + 5).fill(-7);
      const got = evaluate(columns, n, buffer);
      expect(got.buffer).toBe(buffer.buffer);
      expect(got.length).toBe(n);
      expect([...got]).toEqual([...expected]);
      expect([...buffer.subarray(n)]).toEqual([-7, -7, -7, -7, -7]); // nothing past n
      expect([...columns.values()].map((c) => [...c])).toEqual(before);
      // Reused on the next chunk: a shorter one, then the whole again.
      expect([...evaluate(columns, 10, buffer)]).toEqual([...expected.subarray(0, 10)]);
      expect([...evaluate(columns, n, buffer)]).toEqual([...expected]);
      // Without the buffer the next evaluation allocates again (the slot does not leak into it).
      const fresh = evaluate(columns, n);
      expect(fresh.buffer).not.toBe(buffer.buffer);
    });
  }
  it('refuses a buffer shorter than the rows', () => {
    expect(() => compileF64(parse('log(x)'))(columns, n, new Float64Array(n - 1))).toThrow(/output buffer has 256 rows, fewer than 257/);
  });
});
