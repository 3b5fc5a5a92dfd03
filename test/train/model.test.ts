import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { affineWithExplicitTransposes, buildMlp, fusedAffine } from '../../src/train/model.js';
import type * as tfTypes from '@tensorflow/tfjs';

describe('MLP', () => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend('wasm');
  });

  it('the explicit-transpose affine has the same value and gradients as tfjs fused matMul', () => {
    const { tf } = backend;
    const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tfTypes.Tensor2D;
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tfTypes.Tensor2D;
    const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tfTypes.Tensor1D;
    const loss = (affine: ReturnType<typeof fusedAffine>) => (xx: tfTypes.Tensor, ww: tfTypes.Tensor, bb: tfTypes.Tensor) =>
      tf.sum(tf.exp(affine(xx as tfTypes.Tensor2D, ww as tfTypes.Tensor2D, bb as tfTypes.Tensor1D)));
    const reference = tf.grads(loss(fusedAffine(tf)))([x, w, b]);
    const explicit = tf.grads(loss(affineWithExplicitTransposes(tf)))([x, w, b]);
    expect(reference.map((g) => g.shape)).toEqual([[7, 5], [5, 3], [3]]);
    reference.forEach((g, i) => {
      const a = g.dataSync();
      const e = explicit[i]!.dataSync();
      a.forEach((v, k) => expect(e[k]).toBeCloseTo(v, 4));
    });
    expect(affineWithExplicitTransposes(tf)(x, w, b).dataSync()).toEqual(fusedAffine(tf)(x, w, b).dataSync());
  });

  it('builds depth hidden layers of width units and maps [n, inputs] to [n]', () => {
    const mlp = buildMlp(backend, 4, { depth: 2, width: 8, initializer: 'glorot_uniform', activation: ['tanh', 'relu'] }, 1);
    expect(mlp.layerSizes).toEqual([4, 8, 8, 1]);
    expect(mlp.variables.map((v) => v.shape)).toEqual([[4, 8], [8, 8], [8, 1], [8], [8], [1]]);
    const out = mlp.forward(backend.tf.ones([5, 4]) as tfTypes.Tensor2D);
    expect(out.shape).toEqual([5]);
    mlp.dispose();
  });

  it('initialises identically for the same seed, differently for another', () => {
    const weights = (seed: number) => {
      const mlp = buildMlp(backend, 3, { depth: 1, width: 4, initializer: 'he_normal', activation: ['relu'] }, seed);
      const values = Array.from(mlp.variables[0]!.dataSync());
      mlp.dispose();
      return values;
    };
    expect(weights(5)).toEqual(weights(5));
    expect(weights(5)).not.toEqual(weights(6));
  });
});
