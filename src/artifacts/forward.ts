// The network's forward pass for a stored model: the trainer's own MLP (buildMlp) with the stored
// weights assigned, run over the rows in chunks as the trainer's evaluation does. Same ops, same
// backend, same float32 inputs: the same net values, bit for bit (on the backend that trained it).
import { buildMlp } from '../train/model.js';
import type { LoadedBackend } from '../train/backend.js';
import type { TrainedModel } from '../train/model.js';
import type * as tfTypes from '@tensorflow/tfjs';

/** Rows per forward pass: the trainer's EVAL_CHUNK, to bound memory at large widths. */
const CHUNK = 8192;

/** net for n rows of standardised float32 features (row-major, n × inputs), of a one-output model. */
export function forwardNet(backend: LoadedBackend, model: TrainedModel, features: Float32Array, n: number): Float64Array {
  return forwardOutputs(backend, model, features, n)[0]!;
}

/** Each output's net (one per target, in the model's output order) for n rows of standardised float32 features. */
export function forwardOutputs(backend: LoadedBackend, model: TrainedModel, features: Float32Array, n: number): Float64Array[] {
  const { tf } = backend;
  const inputs = model.layerSizes[0]!;
  const depth = model.layerSizes.length - 2;
  const width = depth > 0 ? model.layerSizes[1]! : 1;
  if (model.layerSizes.slice(1, -1).some((units) => units !== width)) {
    throw new Error(`layer sizes ${model.layerSizes.join('→')} are not those of a sweepdeck MLP (every hidden layer has the same width)`);
  }
  // 'zeros' initialisation: nothing random is drawn, and every variable is overwritten below.
  const outputs = model.layerSizes.at(-1)!;
  const mlp = buildMlp(backend, inputs, { depth, width, initializer: 'zeros', activation: model.activations }, 0, outputs);
  try {
    const layers = model.kernels.length;
    tf.tidy(() => {
      mlp.variables.forEach((variable, i) => {
        const values = i < layers ? tf.tensor2d(model.kernels[i]!, [model.layerSizes[i]!, model.layerSizes[i + 1]!]) : tf.tensor1d(model.biases[i - layers]!);
        variable.assign(values);
      });
    });
    const nets = Array.from({ length: outputs }, () => new Float64Array(n));
    for (let start = 0; start < n; start += CHUNK) {
      const size = Math.min(CHUNK, n - start);
      const out = tf.tidy(() => mlp.forward(tf.tensor2d(features.subarray(start * inputs, (start + size) * inputs), [size, inputs]) as tfTypes.Tensor2D));
      const values = out.dataSync();
      if (outputs === 1) nets[0]!.set(values, start);
      else for (let i = 0; i < size; i++) for (let j = 0; j < outputs; j++) nets[j]![start + i] = values[i * outputs + j]!;
      out.dispose();
    }
    return nets;
  } finally {
    mlp.dispose();
  }
}
