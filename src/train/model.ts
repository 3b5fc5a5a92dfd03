// The network: an MLP held as raw tfjs variables (not tf.layers), so one step is a handful of
// fused ops. Weights are initialised from our own seeded RNG, identically on every backend.
import { Rng } from '../rng.js';
import type { Activation, ModelSpec } from '../spec/schema.js';
import type { LoadedBackend, Tf } from './backend.js';
import type * as tfTypes from '@tensorflow/tfjs';

/** A trained network as plain arrays: enough to rebuild it anywhere (predict, export, explain). */
export interface TrainedModel {
  /** Units per layer, input first, output (1) last. */
  layerSizes: number[];
  /** One per hidden layer (the output layer is linear). */
  activations: Activation[];
  /** Per layer: the [in, out] kernel, row-major, and the [out] bias. */
  kernels: Float32Array[];
  biases: Float32Array[];
  /** Standardisation applied to the features before the first layer. */
  norm: { mean: number[]; std: number[] };
}

export interface Mlp {
  variables: tfTypes.Variable[];
  /** x: [n, inputs] → net: [n] */
  forward(x: tfTypes.Tensor2D): tfTypes.Tensor1D;
  /** Units per layer, input first, output (1) last. */
  layerSizes: number[];
  /** The current weights, copied off the backend. */
  readWeights(): Omit<TrainedModel, 'norm'>;
  dispose(): void;
}

export function buildMlp(backend: LoadedBackend, inputs: number, model: Pick<ModelSpec, 'depth' | 'width' | 'initializer'> & { activation: Activation[] }, seed: number): Mlp {
  const { tf } = backend;
  const rng = new Rng(seed);
  const sizes = [inputs, ...Array.from({ length: model.depth }, () => model.width), 1];
  const weights: tfTypes.Variable[] = [];
  const biases: tfTypes.Variable[] = [];
  // tf.variable does not own its initial tensor: tidy disposes those and keeps the variables.
  tf.tidy(() => {
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      const fanIn = sizes[layer]!;
      const fanOut = sizes[layer + 1]!;
      const values = initialWeights(model.initializer, fanIn, fanOut, rng);
      weights.push(tf.variable(tf.tensor2d(values, [fanIn, fanOut]), true));
      const bias = model.initializer === 'torch_linear' ? initialWeights('torch_linear', fanIn, fanOut, rng, fanOut) : new Float32Array(fanOut);
      biases.push(tf.variable(tf.tensor1d(bias), true));
    }
  });
  const activations = model.activation;
  const dense = backend.name === 'wasm' ? affineWithExplicitTransposes(tf) : fusedAffine(tf);

  return {
    variables: [...weights, ...biases],
    layerSizes: sizes,
    forward(x) {
      let h: tfTypes.Tensor2D = x;
      for (let layer = 0; layer < weights.length; layer++) {
        const isOutput = layer === weights.length - 1;
        const activation: Activation = isOutput ? 'linear' : activations[layer]!;
        h = applyActivation(tf, dense(h, weights[layer] as tfTypes.Tensor as tfTypes.Tensor2D, biases[layer] as tfTypes.Tensor as tfTypes.Tensor1D), activation);
      }
      return tf.reshape(h, [-1]) as tfTypes.Tensor1D;
    },
    readWeights() {
      return {
        layerSizes: [...sizes],
        activations: [...activations],
        // Copies: some backends hand out their own storage.
        kernels: weights.map((w) => new Float32Array(w.dataSync())),
        biases: biases.map((b) => new Float32Array(b.dataSync())),
      };
    },
    dispose() {
      for (const v of [...weights, ...biases]) v.dispose();
    },
  };
}

/** x·w + b → [n, out] */
export type Affine = (x: tfTypes.Tensor2D, w: tfTypes.Tensor2D, b: tfTypes.Tensor1D) => tfTypes.Tensor2D;

export function fusedAffine(tf: Tf): Affine {
  return (x, w, b) => tf.fused.matMul({ a: x, b: w, bias: b }) as tfTypes.Tensor2D;
}

/**
 * x·w + b with its own gradient. tfjs's MatMul gradient multiplies with transposeA/transposeB,
 * which the wasm backend runs 10-20× slower than a plain matMul after an explicit transpose
 * (measured: 1000×256×256 takes 58-80 ms transposed vs 5 ms + 0.5 ms). Same maths, faster path.
 */
export function affineWithExplicitTransposes(tf: Tf): Affine {
  return tf.customGrad((...args: (tfTypes.Tensor | tfTypes.GradSaveFunc)[]) => {
    const [x, w, b, save] = args as [tfTypes.Tensor2D, tfTypes.Tensor2D, tfTypes.Tensor1D, tfTypes.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.fused.matMul({ a: x, b: w, bias: b }),
      gradFunc: (dy: tfTypes.Tensor, saved: tfTypes.Tensor[]) => {
        const [xs, ws] = saved as [tfTypes.Tensor2D, tfTypes.Tensor2D];
        const dy2 = dy as tfTypes.Tensor2D;
        return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2), tf.sum(dy2, 0)];
      },
    };
  }) as unknown as Affine;
}

function applyActivation(tf: Tf, z: tfTypes.Tensor2D, activation: Activation): tfTypes.Tensor2D {
  switch (activation) {
    case 'linear':
      return z;
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

function initialWeights(initializer: ModelSpec['initializer'], fanIn: number, fanOut: number, rng: Rng, count = fanIn * fanOut): Float32Array {
  const out = new Float32Array(count);
  const uniform = (limit: number) => out.forEach((_, i) => (out[i] = rng.uniform(-limit, limit)));
  const normal = (std: number) => out.forEach((_, i) => (out[i] = rng.normal() * std));
  switch (initializer) {
    case 'glorot_uniform':
      uniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'glorot_normal':
      normal(Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'he_uniform':
      uniform(Math.sqrt(6 / fanIn));
      break;
    case 'he_normal':
      normal(Math.sqrt(2 / fanIn));
      break;
    case 'lecun_uniform':
      uniform(Math.sqrt(3 / fanIn));
      break;
    case 'lecun_normal':
      normal(Math.sqrt(1 / fanIn));
      break;
    case 'torch_linear':
      // PyTorch's nn.Linear default: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
      uniform(1 / Math.sqrt(fanIn));
      break;
    case 'zeros':
      break;
  }
  return out;
}
