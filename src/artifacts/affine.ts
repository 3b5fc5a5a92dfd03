// Collapses a network whose hidden layers are all linear (or that has none) into one affine map of
// the raw features: net = intercept + Σ coefficient_i · feature_i. Layers compose in float64:
// W = W1·W2·…·Wn, b = (…(b1·W2 + b2)·W3 + …) + bn, on the standardised features z; then
// z_i = (f_i − mean_i)/std_i is undone: coefficient_i = W_i/std_i, intercept = b − Σ W_i·mean_i/std_i.
import type { TrainedModel } from '../train/model.js';

export interface AffineNet {
  intercept: number;
  /** One per feature, on the raw (not standardised) feature values. */
  coefficients: number[];
}

export type Collapsed = { ok: true; affine: AffineNet } | { ok: false; reason: string };

export function collapseAffine(model: TrainedModel): Collapsed {
  const total = model.activations.length;
  const nonlinear = model.activations.map((activation, i) => ({ activation, layer: i + 1 })).filter(({ activation }) => activation !== 'linear');
  if (nonlinear.length > 0) {
    const which =
      nonlinear.length === 1
        ? `hidden layer ${nonlinear[0]!.layer} of ${total} uses ${nonlinear[0]!.activation}`
        : `hidden layers ${nonlinear.map((n) => n.layer).join(', ')} of ${total} use ${nonlinear.map((n) => n.activation).join(', ')}`;
    return {
      ok: false,
      reason:
        `${which}; a nonlinear activation makes net a nonlinear function of the features, so the network does not collapse ` +
        'to one affine map and there is no closed formula to print (closed forms are shown for networks of depth 0 or with linear activations only)',
    };
  }
  const sizes = model.layerSizes;
  // Row vector per input: the map from standardised input i through the layers so far.
  let weights: Float64Array<ArrayBufferLike>[] = Array.from({ length: sizes[0]! }, (_, i) => {
    const row = new Float64Array(sizes[0]!);
    row[i] = 1;
    return row;
  });
  let bias: Float64Array<ArrayBufferLike> = new Float64Array(sizes[0]!);
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    const inputs = sizes[layer]!;
    const outputs = sizes[layer + 1]!;
    const kernel = model.kernels[layer]!;
    const times = (row: Float64Array<ArrayBufferLike>): Float64Array<ArrayBufferLike> => {
      const out = new Float64Array(outputs);
      for (let k = 0; k < inputs; k++) {
        const v = row[k]!;
        if (v === 0) continue;
        for (let j = 0; j < outputs; j++) out[j] = out[j]! + v * kernel[k * outputs + j]!;
      }
      return out;
    };
    weights = weights.map(times);
    bias = times(bias);
    const b = model.biases[layer]!;
    for (let j = 0; j < outputs; j++) bias[j] = bias[j]! + b[j]!;
  }
  const { mean, std } = model.norm;
  const coefficients = weights.map((row, i) => row[0]! / std[i]!);
  const intercept = bias[0]! - coefficients.reduce((sum, c, i) => sum + c * mean[i]!, 0);
  return { ok: true, affine: { intercept, coefficients } };
}
