// The parameter update of one training step: Adam, SGD, RMSProp or momentum, with an optional clip
// of the gradients' global norm.
//
// On the wasm and cpu backends the update runs on the host: the gradients are read back, the
// optimiser's state lives in float32 arrays here, and each variable is assigned its new values in
// one upload. tfjs's own optimisers issue about a dozen ops per variable (Adam: ~72 kernels for
// the seed's 6 variables), and at the seed network's size each op's dispatch costs more than its
// arithmetic; the host update is a few microseconds. The arithmetic is tfjs's, term for term, with
// the same defaults (epsilon 1e-7, Adam's betas 0.9/0.999, RMSProp's decay 0.9, momentum 0.9).
//
// On the tensorflow backend (a GPU) reading gradients back every step would stall the device, so
// there the update stays tfjs's own optimiser.
import type { LoadedBackend, Tf } from './backend.js';
import type { TrainingSpec } from '../spec/schema.js';
import type * as tfTypes from '@tensorflow/tfjs';

export type OptimizerName = TrainingSpec['optimizer'];

export interface ParameterUpdate {
  /** Apply one step with `grads` (one per variable, in the variables' order) at learning rate `lr`. */
  apply(grads: readonly tfTypes.Tensor[], lr: number): void;
  /** Free the optimiser's own tensors (the variables are the caller's). */
  dispose(): void;
}

export interface OptimizerOptions {
  name: OptimizerName;
  /** Clip the gradients to this global L2 norm before the update. */
  gradClip?: number | undefined;
}

/** tfjs's float32 epsilon (`backend.epsilon()`), the default of its Adam and RMSProp. */
const EPSILON = 1e-7;
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const RMSPROP_DECAY = 0.9;
const MOMENTUM = 0.9;

export function makeParameterUpdate(backend: LoadedBackend, variables: tfTypes.Variable[], options: OptimizerOptions): ParameterUpdate {
  if (backend.name === 'tensorflow') return new TfjsUpdate(backend.tf, variables, options);
  return new HostUpdate(backend.tf, variables, options);
}

/**
 * An optimiser's float32 state and its step, over plain arrays: the parameters it is given are
 * updated in place. HostUpdate uses one per trial; a pack of trials (pack.ts) one per member,
 * over that member's slices of the stacked parameters.
 */
export class HostOptimizer {
  /** Adam: first moments; momentum: accumulated velocity; RMSProp: mean squares. */
  private readonly first: Float32Array[];
  /** Adam: second moments. */
  private readonly second: Float32Array[];
  private step = 0;

  constructor(
    /** The parameters, updated in place by every step. */
    readonly values: Float32Array[],
    private readonly options: OptimizerOptions,
  ) {
    this.first = values.map((v) => new Float32Array(v.length));
    this.second = options.name === 'adam' ? values.map((v) => new Float32Array(v.length)) : [];
  }

  /** One step with `grads` (one per parameter array, in order) at learning rate `lr`. */
  apply(grads: readonly Float32Array[], lr: number): void {
    if (grads.length !== this.values.length) throw new Error(`expected ${this.values.length} gradients, got ${grads.length}`);
    const scale = this.options.gradClip === undefined ? 1 : clipFactor(grads, this.options.gradClip);
    this.step++;
    for (let k = 0; k < grads.length; k++) this.updateOne(k, grads[k]!, scale, lr);
  }

  private updateOne(k: number, grad: Float32Array, scale: number, lr: number): void {
    const p = this.values[k]!;
    const m = this.first[k]!;
    const n = p.length;
    switch (this.options.name) {
      case 'sgd':
        for (let i = 0; i < n; i++) p[i] = p[i]! - lr * (grad[i]! * scale);
        return;
      case 'momentum':
        // tfjs MomentumOptimizer (no Nesterov): v = momentum·v + g; p -= lr·v
        for (let i = 0; i < n; i++) {
          m[i] = MOMENTUM * m[i]! + grad[i]! * scale;
          p[i] = p[i]! - lr * m[i]!;
        }
        return;
      case 'rmsprop':
        // tfjs RMSPropOptimizer (momentum 0, not centred): ms = decay·ms + (1 - decay)·g²; p -= lr·g / sqrt(ms + ε)
        for (let i = 0; i < n; i++) {
          const gi = grad[i]! * scale;
          m[i] = RMSPROP_DECAY * m[i]! + (1 - RMSPROP_DECAY) * gi * gi;
          p[i] = p[i]! - (lr * gi) / Math.sqrt(m[i]! + EPSILON);
        }
        return;
      case 'adam': {
        // tfjs AdamOptimizer: bias-corrected moments with 1 - β^t, ε added to the corrected root.
        const v = this.second[k]!;
        const correction1 = 1 - ADAM_BETA1 ** this.step;
        const correction2 = 1 - ADAM_BETA2 ** this.step;
        for (let i = 0; i < n; i++) {
          const gi = grad[i]! * scale;
          m[i] = ADAM_BETA1 * m[i]! + (1 - ADAM_BETA1) * gi;
          v[i] = ADAM_BETA2 * v[i]! + (1 - ADAM_BETA2) * gi * gi;
          p[i] = p[i]! - (lr * (m[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + EPSILON);
        }
        return;
      }
    }
  }
}

/** The update computed on the host over float32 state, each variable then assigned in one upload. */
export class HostUpdate implements ParameterUpdate {
  private readonly optimizer: HostOptimizer;

  constructor(
    private readonly tf: Tf,
    private readonly variables: tfTypes.Variable[],
    options: OptimizerOptions,
  ) {
    // The variables' current values, kept here from now on: the update only ever writes them.
    this.optimizer = new HostOptimizer(
      variables.map((v) => Float32Array.from(v.dataSync())),
      options,
    );
  }

  apply(grads: readonly tfTypes.Tensor[], lr: number): void {
    if (grads.length !== this.variables.length) throw new Error(`expected ${this.variables.length} gradients, got ${grads.length}`);
    this.optimizer.apply(
      grads.map((grad) => grad.dataSync() as Float32Array),
      lr,
    );
    const { tf } = this;
    for (let k = 0; k < this.variables.length; k++) {
      const variable = this.variables[k]!;
      // tf.tensor may keep the array it is given (the cpu backend does): hand it a copy, never our state.
      const next = tf.tensor(this.optimizer.values[k]!.slice(), variable.shape, 'float32');
      variable.assign(next);
      next.dispose();
    }
  }

  dispose(): void {}
}

/** maxNorm / max(‖g‖, maxNorm): tf.clipByGlobalNorm's factor. */
function clipFactor(grads: readonly Float32Array[], maxNorm: number): number {
  let squares = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) squares += g[i]! * g[i]!;
  return maxNorm / Math.max(Math.sqrt(squares), maxNorm);
}

/** tfjs's own optimisers, for backends where the gradients should stay on the device. */
export class TfjsUpdate implements ParameterUpdate {
  private readonly optimizer: tfTypes.Optimizer;
  private lr: number | undefined;

  constructor(
    private readonly tf: Tf,
    private readonly variables: tfTypes.Variable[],
    private readonly options: OptimizerOptions,
  ) {
    // The learning rate is set before every step; 1 is a placeholder.
    this.optimizer = tfjsOptimizer(tf, options.name, 1);
  }

  apply(grads: readonly tfTypes.Tensor[], lr: number): void {
    const { tf } = this;
    this.setLearningRate(lr);
    tf.tidy(() => {
      let list = [...grads];
      if (this.options.gradClip !== undefined) {
        const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
        const factor = tf.div(this.options.gradClip, tf.maximum(norm, this.options.gradClip));
        list = list.map((g) => tf.mul(g, factor));
      }
      this.optimizer.applyGradients(Object.fromEntries(this.variables.map((v, i) => [v.name, list[i]!])));
    });
  }

  /** Adam and RMSProp read `learningRate` at every step; SGD and momentum keep it in a tensor behind setLearningRate. */
  private setLearningRate(lr: number): void {
    if (this.lr === lr) return;
    this.lr = lr;
    const target = this.optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
    if (target.setLearningRate) target.setLearningRate(lr);
    else target.learningRate = lr;
  }

  dispose(): void {
    this.optimizer.dispose();
    // tfjs's MomentumOptimizer.dispose does not call SGD's, which frees the learning-rate scalar `c`.
    if (this.options.name === 'momentum') (this.optimizer as unknown as { c?: tfTypes.Tensor }).c?.dispose();
  }
}

function tfjsOptimizer(tf: Tf, name: OptimizerName, lr: number): tfTypes.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'momentum':
      return tf.train.momentum(lr, MOMENTUM);
  }
}
