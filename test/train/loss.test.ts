import { beforeAll, describe, expect, it } from 'vitest';
import { compileTf, parseFormula, type Formula } from '../../src/formula/index.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { compileTrainingLoss } from '../../src/train/loss.js';
import { Rng } from '../../src/rng.js';
import type * as tfTypes from '@tensorflow/tfjs';

const DATA = ['a', 'b', 'target', 'scale'];

function parse(source: string, names: string[]): Formula {
  const parsed = parseFormula(source, names);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.formula;
}

/** Rows of data away from every formula's kinks and domain edges, and net values in [-1, 1]. */
function sample(n: number, seed = 1): { net: Float32Array; columns: Map<string, Float64Array> } {
  const rng = new Rng(seed);
  const column = (lo: number, hi: number) => Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
  return {
    net: Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
    columns: new Map([
      ['a', column(1, 2)],
      ['b', column(1, 2)],
      ['target', column(0.5, 2)],
      ['scale', column(1, 3)],
    ]),
  };
}

/** The reference: the same formulas as tfjs ops (float32), differentiated by tfjs. */
function tfjsLoss(backend: LoadedBackend, head: Formula, loss: Formula, net: Float32Array, columns: Map<string, Float64Array>): { value: number; dnet: Float32Array } {
  const { tf } = backend;
  return tf.tidy(() => {
    const env = new Map<string, tfTypes.Tensor>([...columns].map(([name, values]) => [name, tf.tensor1d(Float32Array.from(values))]));
    const headTf = compileTf(head, tf);
    const lossTf = compileTf(loss, tf);
    const { value, grad } = tf.valueAndGrad((netTensor: tfTypes.Tensor) => {
      const scope = new Map(env);
      scope.set('net', netTensor);
      scope.set('pred', headTf(scope));
      return tf.mean(lossTf(scope)) as tfTypes.Scalar;
    })(tf.tensor1d(net));
    return { value: value.dataSync()[0]!, dnet: grad.dataSync() as Float32Array };
  });
}

function host(head: Formula, loss: Formula, net: Float32Array, columns: Map<string, Float64Array>): { value: number; dnet: Float32Array } {
  const dnet = new Float32Array(net.length);
  const value = compileTrainingLoss(head, loss, net.length).evaluate(net, columns, net.length, dnet);
  return { value, dnet };
}

const CASES: [head: string, loss: string][] = [
  ['net', 'abs(pred - target) / scale'],
  ['scale * (1 - exp(net))', 'abs(pred - target) / scale'],
  ['(3*a + 2*b) + net', '((pred - target)/scale)^2'],
  ['exp(net) * scale', 'abs(pred / target - 1) + square(net)'],
  ['net', 'log(1 + square(pred - target)) + ln(2 + net)'],
  ['net * a', 'log10(2 + pred^2) + log2(3 + net^2)'],
  ['net', 'log1p(square(net)) + expm1(net / 4) + sqrt(1 + square(pred)) + abs(pred - target) * sign(target)'],
  ['net - b', 'sin(net) + cos(pred) + tan(net / 4)'],
  ['net', 'tanh(net) * sigmoid(pred) + softplus(net - target) + sigmoid(-3 * net)'],
  ['net', 'min(pred, target, 0.5) + max(net, 0.2 * net) + clip(pred, -0.5, 0.5) + clip(net, -a, target)'],
  ['net', 'pow(abs(net) + 1, 1.5) + (abs(net) + 1)^target + 2^net + a^net'],
  ['-net', '-(pred - target)^2 / scale + pi * net + e'],
  ['net', '(pred - target)^-1 + (1 + square(pred))^0.5'],
];

describe('the training loss on the host', () => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend('cpu');
  });

  it.each(CASES)('head %s, loss %s: value and d/dnet match tfjs autodiff', (headText, lossText) => {
    const head = parse(headText, ['net', ...DATA]);
    const loss = parse(lossText, ['pred', 'net', ...DATA]);
    const { net, columns } = sample(200);
    const ours = host(head, loss, net, columns);
    const reference = tfjsLoss(backend, head, loss, net, columns);
    expect(ours.value).toBeCloseTo(reference.value, 4);
    const scale = Math.max(...Array.from(reference.dnet, Math.abs));
    expect(scale).toBeGreaterThan(0);
    ours.dnet.forEach((d, i) => expect(Math.abs(d - reference.dnet[i]!)).toBeLessThan(2e-4 * scale));
  });

  it('follows tfjs at the kinks of min, max and clip (ties go to the first argument, clip bounds are inside)', () => {
    const head = parse('net', ['net', ...DATA]);
    const loss = parse('min(net, 0.5) + max(0.25, net) + clip(pred, -0.75, 0.75) + min(pred, target)', ['pred', 'net', ...DATA]);
    const net = Float32Array.from([0.5, 0.25, -0.75, 0.75, 1]);
    const columns = new Map(DATA.map((name) => [name, new Float64Array(net.length).fill(1)]));
    const ours = host(head, loss, net, columns);
    const reference = tfjsLoss(backend, head, loss, net, columns);
    expect(ours.value).toBeCloseTo(reference.value, 6);
    expect(Array.from(ours.dnet)).toEqual(Array.from(reference.dnet));
  });

  it('gives a zero gradient for a loss that does not depend on the network, and the loss of NaN rows as NaN', () => {
    const head = parse('net', ['net', ...DATA]);
    const { net, columns } = sample(10);
    const dnet = new Float32Array(10).fill(7);
    const value = compileTrainingLoss(head, parse('target * 2', ['pred', 'net', ...DATA]), 10).evaluate(net, columns, 10, dnet);
    expect(value).toBeGreaterThan(0);
    expect(Array.from(dnet)).toEqual(new Array(10).fill(0));
    expect(compileTrainingLoss(head, parse('log(pred)', ['pred', 'net', ...DATA]), 10).evaluate(Float32Array.from(net, () => -1), columns, 10, dnet)).toBeNaN();
  });

  it('evaluates only the first n rows of longer columns, and refuses more rows than it was compiled for', () => {
    const head = parse('net', ['net', ...DATA]);
    const loss = parse('abs(pred - target)', ['pred', 'net', ...DATA]);
    const { net, columns } = sample(20);
    const compiled = compileTrainingLoss(head, loss, 20);
    const dnet = new Float32Array(20);
    const first = compiled.evaluate(net.subarray(0, 5), columns, 5, dnet);
    let expected = 0;
    for (let i = 0; i < 5; i++) expected += Math.abs(net[i]! - columns.get('target')![i]!);
    expect(first).toBeCloseTo(expected / 5, 12);
    expect(() => compiled.evaluate(new Float32Array(21), columns, 21, new Float32Array(21))).toThrow(/batch of 21 rows is larger than the 20/);
  });
});
