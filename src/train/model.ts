// The network: an MLP held as raw tfjs variables (not tf.layers). A training step runs its forward
// pass and a hand-written backward pass (no gradient tape): at the seed network's size each tfjs
// op's dispatch costs more than its arithmetic, and the tape's bookkeeping was most of a step.
// The backward pass is tested against tfjs's autodiff. Weights are initialised from our own
// seeded RNG, identically on every backend.
import { Rng } from '../rng.js';
import type { Activation, ModelSpec } from '../spec/schema.js';
import type { LoadedBackend, Tf } from './backend.js';
import type * as tfTypes from '@tensorflow/tfjs';

/** A trained network as plain arrays: enough to rebuild it anywhere (predict, export, explain). */
export interface TrainedModel {
  /** Units per layer, input first, outputs last (one per target). */
  layerSizes: number[];
  /**
   * The target each output unit predicts, in order; absent: one output, the one target of a
   * `target:` problem. (One network per target, `model.shared: false`, is stored as one
   * block-diagonal network: the same function, so predict, explain and export need no second form.)
   */
  outputs?: string[];
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
  /** x: [n, inputs] → net: [n · outputs], row-major */
  forward(x: tfTypes.Tensor2D): tfTypes.Tensor1D;
  /** The forward pass of a training step, keeping what its backward pass needs. Call inside tf.tidy. */
  trainingPass(x: tfTypes.Tensor2D): TrainingPass;
  /** Units per layer, input first, outputs last. */
  layerSizes: number[];
  /** The current weights, copied off the backend. */
  readWeights(): Omit<TrainedModel, 'norm'>;
  dispose(): void;
}

export interface TrainingPass {
  /** The network's output for the batch: [n · outputs], row-major. */
  net: tfTypes.Tensor1D;
  /** d(loss)/d(net) ([n · outputs], row-major) → d(loss)/d(variable) for every variable, in `Mlp.variables` order. */
  backward(dnet: tfTypes.Tensor1D): tfTypes.Tensor[];
}

export function buildMlp(
  backend: LoadedBackend,
  inputs: number,
  model: Pick<ModelSpec, 'depth' | 'width' | 'initializer'> & { activation: Activation[] },
  seed: number,
  outputs = 1,
): Mlp {
  const { tf } = backend;
  const initial = initialParameters(inputs, model, seed, outputs);
  const sizes = initial.layerSizes;
  const weights: tfTypes.Variable[] = [];
  const biases: tfTypes.Variable[] = [];
  // tf.variable does not own its initial tensor: tidy disposes those and keeps the variables.
  tf.tidy(() => {
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      weights.push(tf.variable(tf.tensor2d(initial.kernels[layer]!, [sizes[layer]!, sizes[layer + 1]!]), true));
      biases.push(tf.variable(tf.tensor1d(initial.biases[layer]!), true));
    }
  });
  const layers = weights.length;
  const activationOf = (layer: number): Activation => (layer === layers - 1 ? 'linear' : model.activation[layer]!);
  const kernel = (layer: number) => weights[layer] as tfTypes.Tensor as tfTypes.Tensor2D;
  const bias = (layer: number) => biases[layer] as tfTypes.Tensor as tfTypes.Tensor1D;
  const products = denseProducts(backend);
  const activate = activationFor(backend);

  /** Every layer's pre-activation and output (the input first): what the backward pass needs. */
  const forwardAll = (x: tfTypes.Tensor2D): { preActivations: tfTypes.Tensor2D[]; outputs: tfTypes.Tensor2D[] } => {
    const outputs = [x];
    const preActivations: tfTypes.Tensor2D[] = [];
    for (let layer = 0; layer < layers; layer++) {
      const z = tf.fused.matMul({ a: outputs[layer]!, b: kernel(layer), bias: bias(layer) }) as tfTypes.Tensor2D;
      preActivations.push(z);
      outputs.push(activate(tf, z, activationOf(layer)));
    }
    return { preActivations, outputs };
  };

  return {
    variables: [...weights, ...biases],
    layerSizes: sizes,
    forward(x) {
      return tf.reshape(forwardAll(x).outputs[layers]!, [-1]) as tfTypes.Tensor1D;
    },
    trainingPass(x) {
      const { preActivations, outputs } = forwardAll(x);
      const n = x.shape[0];
      return {
        net: tf.reshape(outputs[layers]!, [n * sizes[layers]!]) as tfTypes.Tensor1D,
        backward(dnet) {
          const kernelGrads: tfTypes.Tensor[] = new Array(layers);
          const biasGrads: tfTypes.Tensor[] = new Array(layers);
          // d(loss)/d(layer output), from the last layer down.
          let dOut = tf.reshape(dnet, [n, sizes[layers]!]) as tfTypes.Tensor2D;
          for (let layer = layers - 1; layer >= 0; layer--) {
            const dz = activationGradient(tf, activationOf(layer), preActivations[layer]!, outputs[layer + 1]!, dOut);
            [kernelGrads[layer], biasGrads[layer]] = products.weightGradients(outputs[layer]!, dz);
            // The first layer's input is the data: no gradient needed there.
            if (layer > 0) dOut = products.inputGradient(dz, kernel(layer));
          }
          return [...kernelGrads, ...biasGrads];
        },
      };
    },
    readWeights() {
      return {
        layerSizes: [...sizes],
        activations: [...model.activation],
        // Copies: some backends hand out their own storage.
        kernels: weights.map((w) => new Float32Array(w.dataSync())),
        biases: biases.map((b) => new Float32Array(b.dataSync())),
      };
    },
    dispose() {
      for (const v of [...weights, ...biases]) v.dispose();
      products.dispose();
    },
  };
}

/** The layer sizes and initial weights of a network: drawn from one RNG seeded with `seed`, layer by layer (kernel, then bias). */
export function initialParameters(
  inputs: number,
  model: Pick<ModelSpec, 'depth' | 'width' | 'initializer'>,
  seed: number,
  outputs = 1,
): { layerSizes: number[]; kernels: Float32Array[]; biases: Float32Array[] } {
  const rng = new Rng(seed);
  const layerSizes = [inputs, ...Array.from({ length: model.depth }, () => model.width), outputs];
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let layer = 0; layer < layerSizes.length - 1; layer++) {
    const fanIn = layerSizes[layer]!;
    const fanOut = layerSizes[layer + 1]!;
    kernels.push(initialWeights(model.initializer, fanIn, fanOut, rng));
    biases.push(model.initializer === 'torch_linear' ? initialWeights('torch_linear', fanIn, fanOut, rng, fanOut) : new Float32Array(fanOut));
  }
  return { layerSizes, kernels, biases };
}

/** A dense layer's backward products, arranged for the backend (see explicitTransposeProducts). */
export function denseProducts(backend: LoadedBackend): DenseProducts {
  return backend.name === 'wasm' ? explicitTransposeProducts(backend.tf) : transposedProducts(backend.tf);
}

/** The activation functions, as fast as the backend computes them. */
export function activationFor(backend: LoadedBackend): typeof applyActivation {
  return backend.name === 'wasm' ? wasmActivation : applyActivation;
}

/** The products of a dense layer's backward pass: dW = xᵀ·dz, db = Σ_rows dz, dx = dz·Wᵀ. */
export interface DenseProducts {
  weightGradients(x: tfTypes.Tensor2D, dz: tfTypes.Tensor2D): [dW: tfTypes.Tensor2D, db: tfTypes.Tensor1D];
  inputGradient(dz: tfTypes.Tensor2D, w: tfTypes.Tensor2D): tfTypes.Tensor2D;
  /** Free tensors kept across steps. */
  dispose(): void;
}

/** Plain tfjs: matMul's transpose flags and a row sum. */
function transposedProducts(tf: Tf): DenseProducts {
  return {
    weightGradients: (x, dz) => [tf.matMul(x, dz, true, false), tf.sum(dz, 0) as tfTypes.Tensor1D],
    inputGradient: (dz, w) => tf.matMul(dz, w, false, true),
    dispose: () => {},
  };
}

/**
 * The same products arranged for the wasm backend, whose matMul has two paths:
 * - without transpose flags, XNNPACK: fast, but it first packs its right operand, once per tensor
 *   (cached by tensor id). Packing a fresh [n × k] operand costs about as much as the product.
 * - with a transpose flag, a plain scalar loop: 10-20× slower on big products (1000×256×256: 58-80 ms
 *   vs 5 ms + 0.5 ms for an explicit transpose), but with no packing, the cheapest for thin ones.
 * In the backward pass every right operand with the batch as its inner dimension is fresh, so the
 * products are arranged to pack the narrower of x and dz once and reuse it for the bias gradient.
 * A column vector's transpose is a reshape, which costs nothing.
 */
function explicitTransposeProducts(tf: Tf): DenseProducts {
  // Kept across steps (training steps run inside tidy): XNNPACK packs each of them once.
  const ones = new Map<string, tfTypes.Tensor2D>();
  const onesOf = (rows: number, columns: number): tfTypes.Tensor2D => {
    const key = `${rows}x${columns}`;
    let tensor = ones.get(key);
    if (!tensor) {
      tensor = tf.keep(tf.ones([rows, columns]) as tfTypes.Tensor2D);
      ones.set(key, tensor);
    }
    return tensor;
  };
  const transpose = (t: tfTypes.Tensor2D): tfTypes.Tensor2D => (t.shape[0] === 1 || t.shape[1] === 1 ? tf.reshape(t, [t.shape[1], t.shape[0]]) : tf.transpose(t));
  return {
    weightGradients: (x, dz) => {
      const [n, inputs] = x.shape;
      const outputs = dz.shape[1];
      if (outputs === 1) {
        // One output: the scalar loop over n·inputs products beats packing x.
        return [tf.matMul(x, dz, true, false), tf.reshape(tf.sum(dz), [1])];
      }
      if (inputs < outputs) {
        // Pack x (the narrower): dWᵀ = dzᵀ·x, db = dzᵀ·1.
        const dzT = transpose(dz);
        return [transpose(tf.matMul(dzT, x)), tf.reshape(tf.matMul(dzT, onesOf(n, 1)), [outputs])];
      }
      // Pack dz once for both: dW = xᵀ·dz, db = 1ᵀ·dz.
      return [tf.matMul(transpose(x), dz), tf.reshape(tf.matMul(onesOf(1, n), dz), [outputs])];
    },
    inputGradient: (dz, w) => tf.matMul(dz, transpose(w)),
    dispose: () => {
      for (const tensor of ones.values()) tensor.dispose();
      ones.clear();
    },
  };
}

/**
 * The wasm backend computes tanh, softplus and exp with scalar libm calls, 6×, 2× and 2× slower
 * than the same functions written with its vectorised sigmoid: tanh(z) = 2·sigmoid(2z) − 1,
 * softplus(z) = max(z, 0) − log(sigmoid(|z|)) (the log's argument stays in [0.5, 1], so nothing
 * overflows) and e^z = (sigmoid(z/2) / sigmoid(−z/2))². Halving z keeps both sigmoids normal
 * floats over all of exp's float32 range (sigmoid(−z) alone is flushed to 0 above z ≈ 87.3, where
 * e^z is still finite), so it overflows and underflows where float32 does. tanh and softplus stay
 * within 2e-7 of the exact values, exp within 7e-7 relative (tfjs's own: 8e-8 and 6e-8). exp was
 * 12 % of the seed network's wasm step and 16 % of a pack's; this form is 5–6 % faster end to end.
 */
export function wasmActivation(tf: Tf, z: tfTypes.Tensor2D, activation: Activation): tfTypes.Tensor2D {
  switch (activation) {
    case 'tanh':
      return tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1);
    case 'softplus':
      return tf.sub(tf.relu(z), tf.log(tf.sigmoid(tf.abs(z))));
    case 'exp':
      return tf.square(tf.div(tf.sigmoid(tf.mul(z, 0.5)), tf.sigmoid(tf.mul(z, -0.5)))) as tfTypes.Tensor2D;
    default:
      return applyActivation(tf, z, activation);
  }
}

export function applyActivation(tf: Tf, z: tfTypes.Tensor2D, activation: Activation): tfTypes.Tensor2D {
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

const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

/**
 * d(loss)/dz from d(loss)/dh for h = activation(z), as tfjs's own gradients compute it (relu: 0 at
 * z = 0; elu: 1 at z = 0), mostly from h, which the forward pass already holds.
 */
export function activationGradient(tf: Tf, activation: Activation, z: tfTypes.Tensor2D, h: tfTypes.Tensor2D, dh: tfTypes.Tensor2D): tfTypes.Tensor2D {
  switch (activation) {
    case 'linear':
      return dh;
    case 'relu':
      return tf.mul(dh, tf.step(z));
    case 'elu':
      // 1 for z > 0, e^z = h + 1 below: min(h, 0) + 1 is both.
      return tf.mul(dh, tf.add(tf.minimum(h, 0), 1));
    case 'selu': {
      // scale for z > 0, scale·alpha·e^z = h + scale·alpha below.
      const below = tf.add(h, SELU_SCALE_ALPHA);
      return tf.mul(dh, tf.add(below, tf.mul(tf.step(z), tf.sub(SELU_SCALE, below))));
    }
    case 'sigmoid':
      return tf.mul(dh, tf.mul(h, tf.sub(1, h)));
    case 'tanh':
      return tf.mul(dh, tf.sub(1, tf.square(h)));
    case 'softplus':
      return tf.mul(dh, tf.sigmoid(z));
    case 'exp':
      return tf.mul(dh, h);
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

/**
 * One network per target (`model.shared: false`) as the single network they make together: the
 * first layer's kernels side by side (every network reads every feature), the later layers'
 * kernels on the diagonal, zeros elsewhere. Output j is network j's output, bit for bit in exact
 * arithmetic (the zeros add nothing), so the stored model is one MLP whatever `shared` was.
 */
export function blockDiagonal(networks: readonly Omit<TrainedModel, 'norm'>[]): Omit<TrainedModel, 'norm'> {
  const first = networks[0]!;
  const k = networks.length;
  if (k === 1) return first;
  const sizes = first.layerSizes.map((units, layer) => (layer === 0 ? units : units * k));
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    const inUnits = first.layerSizes[layer]!;
    const outUnits = first.layerSizes[layer + 1]!;
    const kernel = new Float32Array(sizes[layer]! * sizes[layer + 1]!);
    const bias = new Float32Array(sizes[layer + 1]!);
    networks.forEach((network, j) => {
      const rowOffset = layer === 0 ? 0 : j * inUnits;
      const columnOffset = j * outUnits;
      const source = network.kernels[layer]!;
      for (let r = 0; r < inUnits; r++) {
        for (let c = 0; c < outUnits; c++) kernel[(rowOffset + r) * sizes[layer + 1]! + columnOffset + c] = source[r * outUnits + c]!;
      }
      bias.set(network.biases[layer]!, columnOffset);
    });
    kernels.push(kernel);
    biases.push(bias);
  }
  return { layerSizes: sizes, activations: [...first.activations], kernels, biases };
}
