import { describe, expect, it } from 'vitest';
import { compileF64, evalScalar, hoistStatic, printFormula } from '../../src/formula/index.js';
import { parse } from './helpers.js';

const VARIABLES = ['x1', 'x2', 'x3', 'x4', 'x5'];
const DYNAMIC = new Set(['net', 'pred']);

function describeHoisted(source: string, names: string[], prefix = '__h') {
  const hoisted = hoistStatic(parse(source, names), DYNAMIC, prefix);
  return {
    rewritten: hoisted.rewritten.source,
    names: hoisted.rewritten.names,
    columns: Object.fromEntries([...hoisted.columns].map(([name, formula]) => [name, formula.source])),
    hoisted,
  };
}

describe('hoistStatic', () => {
  it('hoists the static part of an output head', () => {
    const result = describeHoisted('x5/x2 - exp(net)', ['net', ...VARIABLES]);
    expect(result.rewritten).toBe('__h0 - exp(net)');
    expect(result.columns).toEqual({ __h0: 'x5/x2' });
    expect(result.names).toEqual(['__h0', 'net']);
    expect(result.hoisted.columns.get('__h0')!.names).toEqual(['x5', 'x2']);
  });

  it('hoists nothing when every static operand is a plain name', () => {
    const formula = parse('abs(pred - target)/scale', ['pred', 'target', 'scale']);
    const hoisted = hoistStatic(formula, DYNAMIC, '__loss');
    expect(hoisted.columns.size).toBe(0);
    expect(printFormula(hoisted.rewritten.root)).toBe('abs(pred - target)/scale');
    expect(hoisted.rewritten.names).toEqual(['pred', 'target', 'scale']);
  });

  it('shares one column between identical sub-expressions, whitespace and parentheses aside', () => {
    const result = describeHoisted('(net - x5/x2)^2 / ((x5 / x2)) + log(x3*x4) * pred - log( x3 * x4 )', ['net', 'pred', ...VARIABLES], '__loss');
    expect(result.rewritten).toBe('(net - __loss0)^2/__loss0 + __loss1*pred - __loss1');
    expect(result.columns).toEqual({ __loss0: 'x5/x2', __loss1: 'log(x3*x4)' });
  });

  it('keeps constants and negated constants inline', () => {
    const result = describeHoisted('net * -1 + 2*pi*net - x1*2', ['net', 'x1']);
    expect(result.rewritten).toBe('net*-1 + 2*pi*net - __h0');
    expect(result.columns).toEqual({ __h0: 'x1*2' });
  });

  it('hoists a fully static formula into a single column', () => {
    const result = describeHoisted('x5/x2 - (x1 - x2)/(2*x3*x4) * x2/x1', VARIABLES, '__head');
    expect(result.rewritten).toBe('__head0');
    expect(result.columns).toEqual({ __head0: 'x5/x2 - (x1 - x2)/(2*x3*x4) * x2/x1' });
  });

  it('skips column names the formula already uses', () => {
    const result = describeHoisted('__h0 + exp(x1) * net', ['__h0', 'x1', 'net']);
    expect(result.rewritten).toBe('__h0 + __h1*net');
    expect(result.columns).toEqual({ __h1: 'exp(x1)' });
  });

  it('the rewritten formula plus its columns computes the original', () => {
    const source = 'sqrt(x1*x2) * tanh(net) + max(net, x3 - 1, 0) - (x4 + x5)^2 / net';
    const names = ['net', ...VARIABLES];
    const original = parse(source, names);
    const hoisted = hoistStatic(original, DYNAMIC, '__h');
    expect(hoisted.columns.size).toBe(3);
    const env = new Map([['net', 0.7], ['x1', 2], ['x2', 3], ['x3', 4], ['x4', 0.5], ['x5', 1.5]]);
    const columns = new Map<string, Float64Array>([...env].map(([name, value]) => [name, Float64Array.of(value)]));
    for (const [name, formula] of hoisted.columns) {
      const column = compileF64(formula)(columns, 1);
      columns.set(name, column);
      env.set(name, column[0]!);
    }
    expect(evalScalar(hoisted.rewritten, env)).toBe(evalScalar(original, env));
  });
});
