import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { activationGradient, applyActivation, buildMlp, wasmActivation } from '../../src/train/model.js';
import { ACTIVATIONS, type Activation } from '../../src/spec/schema.js';
import type * as tfTypes from '@tensorflow/tfjs';

/** tfjs's own activation ops, differentiated by tfjs: the reference for the hand-written backward pass. */
function referenceActivation(tf: LoadedBackend['tf'], z: tfTypes.Tensor, activation: Activation): tfTypes.Tensor {
  switch (activation) {
    case 'linear':
      return tf.mul(z, 1);
    case 'relu':
      return tf.relu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'elu':
      return tf.elu(z);
    case 'selu':
      return tf.selu(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'softplus':
      return tf.softplus(z);
    case 'exp':
      return tf.exp(z);
  }
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > relative * Math.max(scale, 1e-6)) {
      throw new Error(`element ${i}: ${actual[i]} vs expected ${expected[i]} (max |expected| ${scale})`);
    }
  }
}

describe('activations on wasm', () => {
  it.each(ACTIVATIONS)('%s stays within 2e-7 of the exact function (exp: 1e-6 relative), overflowing only where float32 does', async (activation) => {
    const { tf } = await loadBackend('wasm');
    const exact: Record<Activation, (z: number) => number> = {
      linear: (z) => z,
      relu: (z) => Math.max(z, 0),
      tanh: Math.tanh,
      elu: (z) => (z > 0 ? z : Math.expm1(z)),
      selu: (z) => 1.0507009873554805 * (z > 0 ? z : 1.6732632423543772 * Math.expm1(z)),
      sigmoid: (z) => 1 / (1 + Math.exp(-z)),
      softplus: (z) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))),
      exp: Math.exp,
    };
    tf.tidy(() => {
      const z = tf.reshape(tf.linspace(-200, 200, 40002), [20001, 2]) as tfTypes.Tensor2D;
      const values = wasmActivation(tf, z, activation).dataSync();
      const zs = z.dataSync();
      zs.forEach((x, i) => {
        const y = exact[activation](x);
        if (!Number.isFinite(Math.fround(y))) expect(values[i], `${activation}(${x})`).toBe(Infinity);
        // exp through sigmoids is relative (down into float32's subnormals, whose spacing is 1.4e-45).
        else if (activation === 'exp') expect(Math.abs(values[i]! - y), `exp(${x})`).toBeLessThanOrEqual(1e-6 * y + 3e-45);
        else expect(Math.abs(values[i]! - y), `${activation}(${x})`).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(y)));
      });
      if (!['tanh', 'softplus', 'exp'].includes(activation)) expect(values).toEqual(applyActivation(tf, z, activation).dataSync());
    });
  });
});

describe.each(['wasm', 'cpu'] as const)('MLP on %s', (name) => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend(name);
  });

  it.each(ACTIVATIONS)("the hand-written gradient of %s matches tfjs's own", (activation) => {
    const { tf } = backend;
    tf.tidy(() => {
      // Values on both sides of 0, none exactly at a kink.
      const z = tf.add(tf.randomNormal([40, 3], 0, 2, 'float32', 7), 0.001) as tfTypes.Tensor2D;
      const dh = tf.randomNormal([40, 3], 0, 1, 'float32', 8) as tfTypes.Tensor2D;
      const h = referenceActivation(tf, z, activation) as tfTypes.Tensor2D;
      const reference = tf.grad((zz: tfTypes.Tensor) => referenceActivation(tf, zz, activation))(z, dh);
      expectClose(activationGradient(tf, activation, z, h, dh).dataSync(), reference.dataSync());
    });
  });

  it.each([
    { depth: 0, width: 1, activation: [] as Activation[], n: 9 },
    { depth: 1, width: 6, activation: ['tanh'] as Activation[], n: 9 },
    { depth: 2, width: 5, activation: ['linear', 'exp'] as Activation[], n: 33 },
    { depth: 3, width: 4, activation: ['relu', 'elu', 'softplus'] as Activation[], n: 17 },
  ])('backward gives the gradients tfjs autodiff gives (depth $depth)', ({ depth, width, activation, n }) => {
    const { tf } = backend;
    const mlp = buildMlp(backend, 3, { depth, width, initializer: 'glorot_uniform', activation }, 4);
    try {
      tf.tidy(() => {
        const x = tf.randomNormal([n, 3], 0, 1, 'float32', 5) as tfTypes.Tensor2D;
        // loss = Σ r_i · net_i, so d(loss)/d(net) = r
        const r = tf.randomNormal([n], 0, 1, 'float32', 6) as tfTypes.Tensor1D;
        const pass = mlp.trainingPass(x);
        expect(Array.from(pass.net.dataSync())).toEqual(Array.from(mlp.forward(x).dataSync()));
        const grads = pass.backward(r);
        const reference = tf.variableGrads(() => tf.sum(tf.mul(mlp.forward(x), r)) as tfTypes.Scalar, mlp.variables);
        expect(grads.map((g) => g.shape)).toEqual(mlp.variables.map((v) => v.shape));
        mlp.variables.forEach((v, i) => expectClose(grads[i]!.dataSync(), reference.grads[v.name]!.dataSync()));
      });
    } finally {
      mlp.dispose();
    }
  });

  it('builds depth hidden layers of width units and maps [n, inputs] to [n]', () => {
    const mlp = buildMlp(backend, 4, { depth: 2, width: 8, initializer: 'glorot_uniform', activation: ['tanh', 'relu'] }, 1);
    expect(mlp.layerSizes).toEqual([4, 8, 8, 1]);
    expect(mlp.variables.map((v) => v.shape)).toEqual([[4, 8], [8, 8], [8, 1], [8], [8], [1]]);
    const out = backend.tf.tidy(() => mlp.forward(backend.tf.ones([5, 4]) as tfTypes.Tensor2D));
    expect(out.shape).toEqual([5]);
    out.dispose();
    mlp.dispose();
  });

  it('frees every tensor it made, training passes included', () => {
    const { tf } = backend;
    const before = tf.memory().numTensors;
    const mlp = buildMlp(backend, 2, { depth: 1, width: 3, initializer: 'he_uniform', activation: ['relu'] }, 1);
    for (const n of [4, 7]) {
      tf.tidy(() => {
        const pass = mlp.trainingPass(tf.ones([n, 2]) as tfTypes.Tensor2D);
        pass.backward(tf.ones([n]) as tfTypes.Tensor1D);
      });
    }
    mlp.dispose();
    expect(tf.memory().numTensors).toBe(before);
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
