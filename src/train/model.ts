// The network: an MLP held as raw tfjs variables (not tf.layers), so one step is a handful of
// fused ops. Weights are initialised from our own seeded RNG, identically on every backend.
import { Rng } from '../rng.js';
import type { Activation, ModelSpec } from '../spec/schema.js';
import type { Tf } from './backend.js';
import type * as tfTypes from '@tensorflow/tfjs';

export interface Mlp {
  variables: tfTypes.Variable[];
  /** x: [n, inputs] → net: [n] */
  forward(x: tfTypes.Tensor2D): tfTypes.Tensor1D;
  /** Weights as plain arrays, layer by layer (for saving models later). */
  layerSizes: number[];
  dispose(): void;
}

export function buildMlp(tf: Tf, inputs: number, model: Pick<ModelSpec, 'depth' | 'width' | 'initializer'> & { activation: Activation[] }, seed: number): Mlp {
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

  return {
    variables: [...weights, ...biases],
    layerSizes: sizes,
    forward(x) {
      let h: tfTypes.Tensor2D = x;
      for (let layer = 0; layer < weights.length; layer++) {
        const isOutput = layer === weights.length - 1;
        const activation: Activation = isOutput ? 'linear' : activations[layer]!;
        h = dense(tf, h, weights[layer]!, biases[layer]!, activation);
      }
      return tf.reshape(h, [-1]) as tfTypes.Tensor1D;
    },
    dispose() {
      for (const v of [...weights, ...biases]) v.dispose();
    },
  };
}

/** matMul + bias + activation; fused where tfjs can also differentiate the fused op (linear, relu). */
function dense(tf: Tf, x: tfTypes.Tensor2D, w: tfTypes.Variable, b: tfTypes.Variable, activation: Activation): tfTypes.Tensor2D {
  if (activation === 'linear' || activation === 'relu') {
    return tf.fused.matMul({ a: x, b: w as unknown as tfTypes.Tensor2D, bias: b, activation }) as tfTypes.Tensor2D;
  }
  const z = tf.fused.matMul({ a: x, b: w as unknown as tfTypes.Tensor2D, bias: b }) as tfTypes.Tensor2D;
  switch (activation) {
    case 'tanh':
      return tf.tanh(z) as tfTypes.Tensor2D;
    case 'elu':
      return tf.elu(z) as tfTypes.Tensor2D;
    case 'selu':
      return tf.selu(z) as tfTypes.Tensor2D;
    case 'sigmoid':
      return tf.sigmoid(z) as tfTypes.Tensor2D;
    case 'softplus':
      return tf.softplus(z) as tfTypes.Tensor2D;
    case 'exp':
      return tf.exp(z) as tfTypes.Tensor2D;
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
