// The training loss of several targets: the weighted sum of each target's mean loss, its gradient
// per network output (n × K, row-major), and cross-target terms (pred.NAME, net.NAME), whose
// gradient flows into the other target's output. Checked against each target's one-target loss
// and against central finite differences.
import { describe, expect, it } from 'vitest';
import { parseFormula, type Formula } from '../../src/formula/index.js';
import { compileTargetLosses, compileTrainingLoss, type TargetLoss } from '../../src/train/loss.js';
import { Rng } from '../../src/rng.js';

function parse(source: string): Formula {
  const names = ['net', 'pred', 'target', 'scale', 'a', 'pred.u', 'pred.v', 'net.u', 'net.v', 'target.u', 'target.v', 'scale.u', 'scale.v'];
  const parsed = parseFormula(source, names);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.formula;
}

const N = 16;
const rng = new Rng(3);
const column = (lo: number, hi: number) => Float64Array.from({ length: N }, () => rng.uniform(lo, hi));
const columns = new Map([
  ['a', column(1, 2)],
  ['target.u', column(1, 2)],
  ['scale.u', column(1, 3)],
  ['target.v', column(0.5, 2)],
  ['scale.v', column(1, 3)],
]);
/** Row-major n × 2: column 0 is u's net, column 1 is v's. */
const net = Float32Array.from({ length: N * 2 }, () => rng.uniform(-1, 1));

function target(name: 'u' | 'v', head: string, loss: string, weight = 1): TargetLoss {
  return { name, head: parse(head), loss: parse(loss), weight, columns: { target: `target.${name}`, scale: `scale.${name}` } };
}

/** One target's loss as the one-target code computes it, on that target's own column of net and data. */
function single(name: 'u' | 'v', index: number, head: string, loss: string) {
  const own = new Map(columns);
  own.set('target', columns.get(`target.${name}`)!);
  own.set('scale', columns.get(`scale.${name}`)!);
  const netColumn = Float32Array.from({ length: N }, (_, i) => net[i * 2 + index]!);
  const dnet = new Float32Array(N);
  const value = compileTrainingLoss(parse(head), parse(loss), N).evaluate(netColumn, own, N, dnet);
  return { value, dnet };
}

describe('several targets: the training loss', () => {
  it('is the weighted sum of the targets’ own losses, each output’s gradient its own target’s, weighted', () => {
    const heads = ['exp(net)', 'scale * net'];
    const losses = ['abs(log(pred) - log(target))', '((pred - target) / scale)^2'];
    const loss = compileTargetLosses([target('u', heads[0]!, losses[0]!, 2), target('v', heads[1]!, losses[1]!, 0.5)], N);
    const dnet = new Float32Array(N * 2);
    const total = loss.evaluate(net, columns, N, dnet);
    const u = single('u', 0, heads[0]!, losses[0]!);
    const v = single('v', 1, heads[1]!, losses[1]!);
    expect(total).toBeCloseTo(2 * u.value + 0.5 * v.value, 12);
    for (let i = 0; i < N; i++) {
      expect(dnet[i * 2]).toBeCloseTo(2 * u.dnet[i]!, 6);
      expect(dnet[i * 2 + 1]).toBeCloseTo(0.5 * v.dnet[i]!, 6);
    }
  });

  it('a cross-target term sends its gradient to the other output (central differences)', () => {
    // v's loss holds a consistency term between the two predictions; u's loss reads net.v directly.
    const targets = [
      target('u', 'exp(net)', 'abs(pred - target) / scale + 0.1 * square(net.v)'),
      target('v', 'scale * net', '((pred - target) / scale)^2 + square(pred * pred.u - a)', 0.7),
    ];
    const loss = compileTargetLosses(targets, N);
    const dnet = new Float32Array(N * 2);
    loss.evaluate(net, columns, N, dnet);
    const at = (values: Float32Array) => compileTargetLosses(targets, N).evaluate(values, columns, N, new Float32Array(N * 2));
    // Float64 differences on float32 inputs: step in float32, measure the actual step taken.
    for (const cell of [0, 1, 6, 7, 30, 31]) {
      const up = Float32Array.from(net);
      const down = Float32Array.from(net);
      up[cell] = net[cell]! + 1e-3;
      down[cell] = net[cell]! - 1e-3;
      const numeric = (at(up) - at(down)) / (up[cell]! - down[cell]!);
      expect(dnet[cell]).toBeCloseTo(numeric, 4);
    }
    // Without the cross terms u's gradient would not reach v's output at all: check it does here.
    const plain = compileTargetLosses([target('u', 'exp(net)', 'abs(pred - target) / scale'), target('v', 'scale * net', '((pred - target) / scale)^2', 0.7)], N);
    const plainDnet = new Float32Array(N * 2);
    plain.evaluate(net, columns, N, plainDnet);
    expect(Math.abs(dnet[1]! - plainDnet[1]!)).toBeGreaterThan(1e-6);
  });

  it('with one target is exactly the one-target loss (same value, same gradient, bit for bit)', () => {
    const own = new Map(columns);
    own.set('target', columns.get('target.u')!);
    own.set('scale', columns.get('scale.u')!);
    const netColumn = Float32Array.from({ length: N }, (_, i) => net[i * 2]!);
    const a = new Float32Array(N);
    const b = new Float32Array(N);
    const head = parse('scale * (1 - exp(net))');
    const lossFormula = parse('abs(log(abs(scale - pred)) - log(scale - target))');
    const viaSingle = compileTrainingLoss(head, lossFormula, N).evaluate(netColumn, own, N, a);
    const viaTargets = compileTargetLosses([{ name: 'target', head, loss: lossFormula, weight: 1, columns: { target: 'target', scale: 'scale' } }], N).evaluate(netColumn, own, N, b);
    expect(viaTargets).toBe(viaSingle);
    expect(Buffer.from(b.buffer)).toEqual(Buffer.from(a.buffer));
  });
});
