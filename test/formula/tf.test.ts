import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients; the @tensorflow/tfjs bundle the trainer loads does.
import '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileF64, compileTf } from '../../src/formula/index.js';
import { parse, seededUniform } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Formulas and the input range that keeps them inside their domain. */
const CASES: [string, [number, number]][] = [
  ['x + y', [-5, 5]],
  ['x - y', [-5, 5]],
  ['x * y', [-5, 5]],
  ['x / y', [0.5, 5]],
  ['-x', [-5, 5]],
  ['x^2', [-5, 5]],
  ['x^0.5', [0.1, 5]],
  ['x^-1', [0.5, 5]],
  ['x^3', [-3, 3]],
  ['x^y', [0.5, 2]],
  ['2^x', [-3, 3]],
  ['x**y**0.5', [0.5, 2]],
  ['log(x)', [0.01, 50]],
  ['ln(x)', [0.01, 50]],
  ['log10(x)', [0.01, 50]],
  ['log2(x)', [0.01, 50]],
  ['log1p(x)', [-0.5, 5]],
  ['exp(x)', [-5, 5]],
  ['expm1(x)', [-2, 2]],
  ['sqrt(x)', [0.01, 50]],
  ['square(x)', [-5, 5]],
  ['abs(x)', [-5, 5]],
  ['sign(x)', [-5, 5]],
  ['min(x, y)', [-5, 5]],
  ['max(x, y)', [-5, 5]],
  ['min(x, y, z, 0.5)', [-5, 5]],
  ['max(x, 1, y, z)', [-5, 5]],
  ['pow(x, y)', [0.5, 2]],
  ['pow(x, 2)', [-5, 5]],
  ['sin(x)', [-5, 5]],
  ['cos(x)', [-5, 5]],
  ['tan(x)', [-1.2, 1.2]],
  ['tanh(x)', [-5, 5]],
  ['sigmoid(x)', [-8, 8]],
  ['softplus(x)', [-8, 8]],
  ['clip(x, -1, 2)', [-5, 5]],
  ['clip(x, 2, -1)', [-5, 5]],
  ['clip(x, y, z)', [-5, 5]],
  ['2*pi*x - e', [-5, 5]],
  ['x5/x2 - (x1 - x2)/(2*x3*x4) * x2/x1', [0.5, 10]],
];

function randomColumns(names: readonly string[], n: number, [lo, hi]: [number, number], seed: number): Map<string, Float64Array> {
  const uniform = seededUniform(seed);
  return new Map(names.map((name) => [name, Float64Array.from({ length: n }, () => uniform(lo, hi))]));
}

describe('compileTf matches compileF64 within float32 tolerance', () => {
  const n = 64;
  it.each(CASES)('%s', (source, range) => {
    const names = ['x', 'y', 'z', 'x1', 'x2', 'x3', 'x4', 'x5'];
    const formula = parse(source, names);
    const columns = randomColumns(names, n, range, source.length * 31 + 7);
    const expected = compileF64(formula)(columns, n);
    const build = compileTf(formula, tf);
    const actual = tf.tidy(() => build(new Map([...columns].map(([name, values]) => [name, tf.tensor1d(Float32Array.from(values))]))).dataSync());
    expect(actual).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(expected[i]!));
    }
  });

  it('returns a scalar for a constant formula', () => {
    const value = tf.tidy(() => compileTf(parse('2*pi'), tf)(new Map()).dataSync());
    expect(value).toHaveLength(1);
    expect(value[0]).toBeCloseTo(2 * Math.PI, 5);
  });

  it('leaves no tensors behind inside tidy', () => {
    const build = compileTf(parse('clip(x, y, 1) + log(max(x, 0.1, y)) * 2^x'), tf);
    const x = tf.tensor1d([0.5, 1, 2]);
    const y = tf.tensor1d([0.2, 0.3, 0.4]);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => build(new Map([['x', x], ['y', y]])));
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    x.dispose();
    y.dispose();
  });

  it('throws naming a missing tensor', () => {
    expect(() => tf.tidy(() => compileTf(parse('x + y'), tf)(new Map([['x', tf.scalar(1)]])))).toThrow(/"y"/);
  });
});

describe('gradients', () => {
  it('d/dx x^3 = 3x^2', () => {
    const xs = [-2, -0.5, 0.5, 1, 3];
    const build = compileTf(parse('x^3'), tf);
    const gradient = tf.grad((x: tf.Tensor) => build(new Map([['x', x]])));
    const values = tf.tidy(() => gradient(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => expect(values[i]).toBeCloseTo(3 * x * x, 4));
  });

  it('d/dx, d/dy of log(x)*y are y/x and log(x)', () => {
    const xs = [0.5, 1, 2, 4];
    const ys = [-1, 0.5, 2, 3];
    const build = compileTf(parse('log(x)*y'), tf);
    const gradients = tf.grads((x: tf.Tensor, y: tf.Tensor) => build(new Map([['x', x], ['y', y]])));
    const [dx, dy] = tf.tidy(() => gradients([tf.tensor1d(xs), tf.tensor1d(ys)]).map((g) => g.dataSync()));
    xs.forEach((x, i) => {
      expect(dx![i]).toBeCloseTo(ys[i]! / x, 4);
      expect(dy![i]).toBeCloseTo(Math.log(x), 4);
    });
  });

  it('differentiates through the head with a hoisted column', () => {
    // d/dnet (c - exp(net)) = -exp(net)
    const build = compileTf(parse('c - exp(net)', ['c', 'net']), tf);
    const c = tf.tensor1d([1, 2]);
    const gradient = tf.grad((net: tf.Tensor) => build(new Map([['c', c], ['net', net]])));
    const values = tf.tidy(() => gradient(tf.tensor1d([0, 1])).dataSync());
    expect(values[0]).toBeCloseTo(-1, 5);
    expect(values[1]).toBeCloseTo(-Math.E, 4);
    c.dispose();
  });
});
