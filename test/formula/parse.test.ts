import { describe, expect, it } from 'vitest';
import { evalScalar, parseFormula } from '../../src/formula/index.js';
import { parse, parseError, shape } from './helpers.js';

describe('precedence and associativity', () => {
  it.each([
    ['-x^2', '(neg (^ x 2))'],
    ['2^3^2', '(^ 2 (^ 3 2))'],
    ['2**3**2', '(^ 2 (^ 3 2))'],
    ['x**2', '(^ x 2)'],
    ['a-b-c', '(- (- a b) c)'],
    ['a/b/c', '(/ (/ a b) c)'],
    ['a/b*c', '(* (/ a b) c)'],
    ['a+b*c', '(+ a (* b c))'],
    ['a*b+c', '(+ (* a b) c)'],
    ['a*b^c', '(* a (^ b c))'],
    ['a^b*c', '(* (^ a b) c)'],
    ['(a+b)*c', '(* (+ a b) c)'],
    ['a-(b-c)', '(- a (- b c))'],
    ['2^-x', '(^ 2 (neg x))'],
    ['2^-x^2', '(^ 2 (neg (^ x 2)))'],
    ['(-x)^2', '(^ (neg x) 2)'],
    ['-a*b', '(* (neg a) b)'],
    ['a*-b', '(* a (neg b))'],
    ['a - -b', '(- a (neg b))'],
    ['--a', '(neg (neg a))'],
    ['+a', 'a'],
    ['a*+b', '(* a b)'],
    ['-(a+b)', '(neg (+ a b))'],
    ['log(a+b)*c', '(* (log (+ a b)) c)'],
    ['max(a, b*c, -z)', '(max a (* b c) (neg z))'],
    ['x5/x2 - (x1 - x2)/(2*x3*x4) * x2/x1', '(- (/ x5 x2) (/ (* (/ (- x1 x2) (* (* 2 x3) x4)) x2) x1))'],
  ])('%s parses as %s', (source, expected) => {
    expect(shape(parse(source, ['x', 'y', 'z', 'a', 'b', 'c', 'x1', 'x2', 'x3', 'x4', 'x5']).root)).toBe(expected);
  });

  it.each([
    ['-2^2', -4],
    ['2^3^2', 512],
    ['(2^3)^2', 64],
    ['2^-1', 0.5],
    ['10 - 4 - 3', 3],
    ['64 / 4 / 2', 8],
    ['1 + 2 * 3 ^ 2', 19],
    ['-3 * -3', 9],
  ])('%s = %d', (source, value) => {
    expect(evalScalar(parse(source), new Map())).toBe(value);
  });

  it('accepts whitespace anywhere, including newlines and tabs', () => {
    expect(shape(parse(' \t log ( x ,\n ) '.replace(',', '') ).root)).toBe('(log x)');
    expect(shape(parse('a\n*\tb').root)).toBe('(* a b)');
  });
});

describe('numbers', () => {
  it.each([
    ['12', 12],
    ['1.5', 1.5],
    ['1e-6', 1e-6],
    ['1E6', 1e6],
    ['2.5e+3', 2500],
    ['.5', 0.5],
    ['1.', 1],
    ['007', 7],
    ['0.000', 0],
  ])('%s is %d', (source, value) => {
    const root = parse(source).root;
    expect(root).toEqual({ kind: 'number', value, start: 0, end: source.length });
  });

  it('treats `e` after a number followed by a name as a missing operator, not an exponent', () => {
    expect(parseError('2ex')).toMatchObject({ message: 'expected an operator between "2" and "ex"', offset: 1, length: 2 });
  });

  it.each([
    ['1e', 'malformed number "1e"', 0, 2],
    ['x + 1e+', 'malformed number "1e+"', 4, 3],
    ['1.2.3', 'malformed number "1.2.3"', 0, 5],
    ['1e999', 'number "1e999" is too large', 0, 5],
  ])('%s is refused: %s', (source, message, offset, length) => {
    expect(parseError(source)).toEqual({ message, offset, length });
  });
});

describe('names and offsets', () => {
  it('lists distinct free names in first-use order, without constants', () => {
    const formula = parse('x2 + pi*x1 + x2 + e*exp(x1) + z', ['x1', 'x2', 'z']);
    expect(formula.names).toEqual(['x2', 'x1', 'z']);
  });

  it('records start/end of every node, parentheses included', () => {
    const formula = parse('x / (y - z)');
    const root = formula.root;
    if (root.kind !== 'binary') throw new Error('expected a binary node');
    expect([root.start, root.end]).toEqual([0, 11]);
    expect([root.left.start, root.left.end]).toEqual([0, 1]);
    expect(formula.source.slice(root.right.start, root.right.end)).toBe('(y - z)');
    const call = parse('  log(x)  ').root;
    expect([call.start, call.end]).toEqual([2, 8]);
    const neg = parse('-x^2').root;
    expect([neg.start, neg.end]).toEqual([0, 4]);
  });

  it('constants evaluate to Math.PI and Math.E', () => {
    expect(evalScalar(parse('pi'), new Map())).toBe(Math.PI);
    expect(evalScalar(parse('e'), new Map())).toBe(Math.E);
  });
});

describe('errors', () => {
  const vars = ['x1', 'x2', 'x3', 'x4', 'x5'];
  it.each([
    ['x1 + x6', 'unknown name "x6" (did you mean "x5"?); known names: x1, x2, x3, x4, x5', 5, 2, 'x5'],
    ['lg(x1)', 'unknown function "lg" (did you mean "log"?)', 0, 2, 'log'],
    ['x1 * sqr(x2)', 'unknown function "sqr" (did you mean "sqrt"?)', 5, 3, 'sqrt'],
    ['frobnicate(x1)', 'unknown function "frobnicate"', 0, 10, undefined],
    ['log(x1, x2)', '"log" takes 1 argument, got 2', 0, 11, undefined],
    ['exp()', '"exp" takes 1 argument, got 0', 0, 5, undefined],
    ['min(x1)', '"min" takes at least 2 arguments, got 1', 0, 7, undefined],
    ['clip(x1, 0)', '"clip" takes 3 arguments, got 2', 0, 11, undefined],
    ['pow(x1)', '"pow" takes 2 arguments, got 1', 0, 7, undefined],
    ['x1)', 'unexpected ")"', 2, 1, undefined],
    ['x1 +', 'expected an expression after "+"', 3, 1, undefined],
    ['x1 + )', 'expected an expression after "+", got ")"', 5, 1, undefined],
    ['x1 * * x2', 'expected an expression after "*", got "*"', 5, 1, undefined],
    ['* x2', 'unexpected "*"', 0, 1, undefined],
    ['log(x1, )', 'expected an expression after ",", got ")"', 8, 1, undefined],
    ['()', 'unexpected ")"', 1, 1, undefined],
    ['(x1 + x2', 'unclosed "("', 0, 1, undefined],
    ['x1 * log(x2', 'unclosed "("', 8, 1, undefined],
    ['', 'empty formula', 0, 0, undefined],
    ['   ', 'empty formula', 0, 0, undefined],
    ['x1(2)', '"x1" is a variable, not a function', 0, 2, undefined],
    ['pi(2)', '"pi" is a constant, not a function', 0, 2, undefined],
    ['log + 1', '"log" is a function; call it like log(...)', 0, 3, undefined],
    ['2 x1', 'expected an operator between "2" and "x1"', 2, 2, undefined],
    ['(x1)(x2)', 'expected an operator between "(x1)" and "("', 4, 1, undefined],
    ['x1 , x2', 'unexpected ","', 3, 1, undefined],
    ['x1 @ x2', 'unexpected character "@"', 3, 1, undefined],
    ['x1 × x2', 'unexpected character "×"', 3, 1, undefined],
  ])('%j → %s', (source, message, offset, length, suggestion) => {
    const error = parseError(source, vars);
    expect(error.message).toBe(message);
    expect(error.offset).toBe(offset);
    expect(error.length).toBe(length);
    expect(error.didYouMean).toBe(suggestion);
  });

  it('omits the known-names list when no names are allowed', () => {
    expect(parseError('q', [])).toEqual({ message: 'unknown name "q"', offset: 0, length: 1 });
  });

  it('refuses pathological nesting without overflowing the stack', () => {
    const deepParens = `${'('.repeat(5000)}x${')'.repeat(5000)}`;
    expect(parseError(deepParens).message).toMatch(/nests too deeply/);
    expect(parseError(`${'-'.repeat(100000)}x`).message).toMatch(/nests too deeply/);
    expect(parseError(`${'x+'.repeat(5000)}x`).message).toMatch(/too long/);
    expect(parseFormula(`${'('.repeat(100)}x${')'.repeat(100)}`, ['x']).ok).toBe(true);
  });
});
