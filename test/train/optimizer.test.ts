import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { HostUpdate, makeParameterUpdate, TfjsUpdate, type OptimizerOptions, type ParameterUpdate } from '../../src/train/optimizer.js';
import { Rng } from '../../src/rng.js';
import { OPTIMIZERS } from '../../src/spec/schema.js';
import type * as tfTypes from '@tensorflow/tfjs';

const SHAPES = [[3, 4], [4], [4, 1], [1]];

/** Runs `steps` updates with the same pseudo-random gradients and learning rates; returns the final values. */
function train(backend: LoadedBackend, make: (vars: tfTypes.Variable[]) => ParameterUpdate, steps: number): number[][] {
  const { tf } = backend;
  const rng = new Rng(11);
  const init = new Rng(3);
  // tf.variable does not own its initial tensor: tidy frees those.
  const variables = tf.tidy(() => SHAPES.map((shape) => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => init.uniform(-1, 1)), shape))));
  const update = make(variables);
  for (let step = 0; step < steps; step++) {
    const lr = step < steps / 2 ? 0.01 : 0.003;
    tf.tidy(() => {
      const grads = SHAPES.map((shape) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 3), shape));
      update.apply(grads, lr);
    });
  }
  const values = variables.map((v) => Array.from(v.dataSync()));
  update.dispose();
  for (const v of variables) v.dispose();
  return values;
}

describe.each(['wasm', 'cpu'] as const)('parameter updates on %s', (name) => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend(name);
  });

  const cases: OptimizerOptions[] = OPTIMIZERS.flatMap((optimizer) => [{ name: optimizer }, { name: optimizer, gradClip: 0.5 }]);
  it.each(cases)('the host update follows tfjs $name (grad clip $gradClip) step for step', (options) => {
    const host = train(backend, (vars) => new HostUpdate(backend.tf, vars, options), 40);
    const reference = train(backend, (vars) => new TfjsUpdate(backend.tf, vars, options), 40);
    host.forEach((values, k) => values.forEach((v, i) => expect(v).toBeCloseTo(reference[k]![i]!, 4)));
    // ...and it did move the parameters.
    const start = train(backend, (vars) => new HostUpdate(backend.tf, vars, options), 0);
    expect(host).not.toEqual(start);
  });

  it('updates on the host here, and leaves no tensor behind', () => {
    const { tf } = backend;
    const before = tf.memory().numTensors;
    let made: ParameterUpdate | undefined;
    train(backend, (vars) => (made = makeParameterUpdate(backend, vars, { name: 'adam' })), 5);
    expect(made).toBeInstanceOf(HostUpdate);
    for (const optimizer of OPTIMIZERS) train(backend, (vars) => new TfjsUpdate(backend.tf, vars, { name: optimizer, gradClip: 1 }), 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a gradient list that does not match the variables', () => {
    const { tf } = backend;
    const v = tf.tidy(() => tf.variable(tf.zeros([2])));
    const update = new HostUpdate(tf, [v], { name: 'sgd' });
    expect(() => update.apply([], 0.1)).toThrow(/expected 1 gradients, got 0/);
    v.dispose();
  });
});
