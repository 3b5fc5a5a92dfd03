// Trial packing: several trials of one shape trained as one program in one worker. They share the
// training stream (one batch generated and uploaded per step; each trial sees the batches it would
// see alone) and the validation features; each keeps its own weights, seed, learning rate,
// optimiser state, schedule, head, loss, evaluations and verdicts (TrialRun). A member that ends
// (complete, pruned, failed, stopped) leaves the pack at that step and the others go on; a NaN in
// one member's loss fails that member only.
//
// Two ways to compute the members' networks (PackEngine), chosen per backend by measurement (the
// bench's packing section):
// - lockstep: each member's own network (buildMlp) and update, exactly the ops of a solo trial,
//   on the shared batch tensor. Its results are the solo run's, bit for bit.
// - stacked: the members' weights stacked along a leading trial axis ([K, in, out]) and one batched
//   matMul per product, so a step issues the same number of ops whatever K is. The gradients come
//   back in one read per layer and each member's optimiser steps on its slice. tfjs-wasm computes
//   a batched matMul with a scalar loop (K = 8 at width 16: 10× slower than 8 separate products),
//   so on wasm lockstep is faster; the stacked program is what a GPU wants.
import type * as tfTypes from '@tensorflow/tfjs';
import { activationFor, activationGradient, buildMlp, initialParameters, type Mlp, type TrainedModel } from './model.js';
import { HostOptimizer, makeParameterUpdate, type ParameterUpdate } from './optimizer.js';
import { EVAL_CHUNK, TrialRun, trainingStream, type TrainHooks, type TrialOutcome } from './trainer.js';
import type { ProblemData } from './data.js';
import type { LoadedBackend } from './backend.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type { Activation } from '../spec/schema.js';

export type PackEngineName = 'lockstep' | 'stacked';

/** The engine a backend packs with when not told: the faster one in the bench's measurement. */
export function defaultPackEngine(backend: LoadedBackend['name']): PackEngineName {
  return backend === 'wasm' ? 'lockstep' : 'stacked';
}

/** The networks of a pack's members. Members are numbered by their place in the pack (0…K-1). */
interface PackEngine {
  /**
   * One training step of the members `active` on the batch features `x`: every member's forward
   * pass, `lossOf` (the member's loss from its output, writing d(loss)/d(net) into `dnet`), and
   * the update of each member whose loss is finite at its `lrOf`. Returns the losses by member.
   */
  trainStep(x: tfTypes.Tensor2D, active: readonly number[], lossOf: (member: number, net: Float32Array, dnet: Float32Array) => number, lrOf: (member: number) => number): Map<number, number>;
  /** The members' outputs on `x` ([n × outputs], row-major, each). */
  forward(x: tfTypes.Tensor2D, members: readonly number[]): Map<number, Float32Array>;
  /** A member's current weights. */
  weights(member: number): Omit<TrainedModel, 'norm'>;
  /** A member left: free what is its alone. */
  remove(member: number): void;
  dispose(): void;
}

export interface PackOptions {
  engine?: PackEngineName;
  /** Called as each member ends, with its outcome (before the pack goes on). */
  ended?(member: number, outcome: TrialOutcome): void;
  /**
   * A member's own code threw (its hooks, its loss, its evaluation): the message its failure
   * records. Without it the error ends the whole pack. An error in the shared step always does.
   */
  describeError?(error: unknown): string;
}

/**
 * Train `configs` (one shape: see packKey in src/run/pack-plan.ts) together; `hooks[i]` are
 * member i's. Returns every member's outcome, in order.
 */
export function trainPack(
  backend: LoadedBackend,
  spec: SweepSpec,
  data: ProblemData,
  configs: readonly TrialConfig[],
  hooks: readonly TrainHooks[],
  options: PackOptions = {},
): TrialOutcome[] {
  const { tf } = backend;
  const runs = configs.map((config, i) => new TrialRun(spec, data, config, hooks[i]!));
  const first = runs[0]!;
  const batchSize = first.config.training.batch_size;
  const inputs = first.config.featureFormulas.length;
  const nextBatch = trainingStream(data, runs);
  const engineName = options.engine ?? defaultPackEngine(backend.name);
  const engine = engineName === 'lockstep' ? lockstepEngine(backend, runs, inputs) : stackedEngine(backend, runs, inputs, batchSize);
  // In JS, uploaded a chunk at a time (as trainTrial does: a whole-set tensor would grow the wasm heap for good).
  const validationX = data.validationFeatures(first.config.features, first.norm);
  const outcomes: (TrialOutcome | undefined)[] = runs.map(() => undefined);
  const active = runs.map((_, i) => i);

  const end = (member: number, outcome: TrialOutcome) => {
    outcomes[member] = outcome;
    active.splice(active.indexOf(member), 1);
    engine.remove(member);
    options.ended?.(member, outcome);
  };
  /** One pass over the held-out set for every member in `members`: each chunk's output goes to each member's evaluation. */
  const validationPass = (members: readonly number[]): void => {
    const n = data.validation.n;
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, n - start);
      const chunk = tf.tensor2d(validationX.subarray(start * inputs, (start + size) * inputs), [size, inputs]);
      const values = engine.forward(chunk, members);
      chunk.dispose();
      for (const [member, out] of values) runs[member]!.evaluationChunk(start, size, out);
    }
  };

  try {
    while (active.length > 0) {
      for (const member of [...active]) if (runs[member]!.hooks.shouldStop()) end(member, runs[member]!.stopped());
      if (active.length === 0) break;
      const lrs = new Map(active.map((m) => [m, runs[m]!.lr()]));
      // Timed from the batch on, as trainTrial times its steps: steps/s compare across the two.
      const started = performance.now();
      const batch = nextBatch();
      let losses = new Map<number, number>();
      tf.tidy(() => {
        const x = tf.tensor2d(batch.features, [batch.n, batch.featureCount]);
        losses = engine.trainStep(x, active, (m, net, dnet) => runs[m]!.loss(net, batch, dnet), (m) => lrs.get(m)!);
      });
      const seconds = (performance.now() - started) / 1000;
      // The members evaluating after this step, evaluated together.
      const due = active.filter((m) => runs[m]!.evaluatesAfterStep() && Number.isFinite(losses.get(m)!));
      let evaluated = false;
      for (const member of [...active]) {
        const run = runs[member]!;
        let ended: TrialOutcome | undefined;
        try {
          ended = run.afterStep(losses.get(member)!, lrs.get(member)!, seconds, () => {
            if (!evaluated) validationPass(due);
            evaluated = true;
          });
        } catch (error) {
          if (!options.describeError) throw error;
          ended = { state: 'failed', value: null, step: run.step, error: options.describeError(error), metrics: {} };
        }
        if (ended) end(member, ended);
        else if (run.done) end(member, run.complete(engine.weights(member)));
      }
    }
    return outcomes.map((outcome) => outcome!);
  } finally {
    engine.dispose();
  }
}

/** Each member's own network and update: the ops of a solo trial, on the shared batch. */
function lockstepEngine(backend: LoadedBackend, runs: readonly TrialRun[], inputs: number): PackEngine {
  const { tf } = backend;
  const mlps = new Map<number, Mlp>();
  const updates = new Map<number, ParameterUpdate>();
  runs.forEach((run, m) => {
    const { config } = run;
    const mlp = buildMlp(backend, inputs, config.model, config.training.seed, run.outputs);
    mlps.set(m, mlp);
    updates.set(m, makeParameterUpdate(backend, mlp.variables, { name: config.training.optimizer, gradClip: config.training.grad_clip }));
  });
  const dnets = runs.map((run) => new Float32Array(run.config.training.batch_size * run.outputs));
  return {
    trainStep(x, active, lossOf, lrOf) {
      const losses = new Map<number, number>();
      for (const m of active) {
        const pass = mlps.get(m)!.trainingPass(x);
        const dnet = dnets[m]!;
        const loss = lossOf(m, pass.net.dataSync() as Float32Array, dnet);
        losses.set(m, loss);
        if (Number.isFinite(loss)) updates.get(m)!.apply(pass.backward(tf.tensor1d(dnet.subarray(0, pass.net.size))), lrOf(m));
      }
      return losses;
    },
    forward(x, members) {
      const out = new Map<number, Float32Array>();
      for (const m of members) {
        const net = tf.tidy(() => mlps.get(m)!.forward(x));
        out.set(m, net.dataSync() as Float32Array);
        net.dispose();
      }
      return out;
    },
    weights: (m) => mlps.get(m)!.readWeights(),
    remove(m) {
      mlps.get(m)?.dispose();
      updates.get(m)?.dispose();
      mlps.delete(m);
      updates.delete(m);
    },
    dispose() {
      for (const m of [...mlps.keys()]) this.remove(m);
    },
  };
}

/**
 * The members' weights stacked along a leading trial axis, kept on the host (each member's
 * optimiser steps its own arrays) and uploaded once per step as one [K, in, out] kernel and one
 * [K, 1, out] bias per layer; each product is one batched matMul over the active members.
 */
function stackedEngine(backend: LoadedBackend, runs: readonly TrialRun[], inputs: number, batchSize: number): PackEngine {
  const { tf } = backend;
  const { model } = runs[0]!.config;
  const outputs = runs[0]!.outputs;
  const sizes = [inputs, ...Array.from({ length: model.depth }, () => model.width), outputs];
  const layers = sizes.length - 1;
  const activationOf = (layer: number): Activation => (layer === layers - 1 ? 'linear' : model.activation[layer]!);
  const activate = activationFor(backend);
  /** Per member: its parameters (kernels, then biases) and its optimiser over them. */
  const members = new Map<number, HostOptimizer>();
  runs.forEach((run, m) => {
    const initial = initialParameters(inputs, run.config.model, run.config.training.seed, outputs);
    members.set(m, new HostOptimizer([...initial.kernels, ...initial.biases], { name: run.config.training.optimizer, gradClip: run.config.training.grad_clip }));
  });
  const dnet = new Float32Array(runs.length * batchSize * outputs);
  /** Parameter `p` of the members in `active`, stacked: [K, in, out] kernels, [K, 1, out] biases. */
  const stacked = (active: readonly number[], p: number): tfTypes.Tensor3D => {
    const layer = p % layers;
    const kernel = p < layers;
    const size = kernel ? sizes[layer]! * sizes[layer + 1]! : sizes[layer + 1]!;
    const values = new Float32Array(active.length * size);
    active.forEach((m, i) => values.set(members.get(m)!.values[p]!, i * size));
    return tf.tensor3d(values, kernel ? [active.length, sizes[layer]!, sizes[layer + 1]!] : [active.length, 1, sizes[layer + 1]!]);
  };
  /** Every layer's pre-activation and output, the input (shared: [n, in]) first. */
  const forwardAll = (x: tfTypes.Tensor2D, active: readonly number[]) => {
    const kernels = Array.from({ length: layers }, (_, layer) => stacked(active, layer));
    const biases = Array.from({ length: layers }, (_, layer) => stacked(active, layers + layer));
    const outputsOf: tfTypes.Tensor[] = [x];
    const pre: tfTypes.Tensor3D[] = [];
    for (let layer = 0; layer < layers; layer++) {
      const z = tf.add(tf.matMul(outputsOf[layer] as tfTypes.Tensor3D, kernels[layer]!), biases[layer]!) as tfTypes.Tensor3D;
      pre.push(z);
      outputsOf.push(activate(tf, z as unknown as tfTypes.Tensor2D, activationOf(layer)));
    }
    return { kernels, pre, outputs: outputsOf };
  };
  return {
    trainStep(x, active, lossOf, lrOf) {
      const n = x.shape[0];
      const { kernels, pre, outputs: outs } = forwardAll(x, active);
      const net = outs[layers]!.dataSync() as Float32Array;
      const per = n * outputs;
      const losses = new Map<number, number>();
      active.forEach((m, i) => losses.set(m, lossOf(m, net.subarray(i * per, (i + 1) * per), dnet.subarray(i * per, (i + 1) * per))));
      // A member whose loss is not finite gets no update; its d(loss)/d(net) is zeroed so nothing non-finite reaches the products.
      active.forEach((m, i) => {
        if (!Number.isFinite(losses.get(m)!)) dnet.fill(0, i * per, (i + 1) * per);
      });
      if (![...losses.values()].some(Number.isFinite)) return losses;
      let dOut: tfTypes.Tensor = tf.tensor3d(dnet.slice(0, active.length * per), [active.length, n, outputs]);
      const kernelGrads: Float32Array[] = new Array(layers);
      const biasGrads: Float32Array[] = new Array(layers);
      for (let layer = layers - 1; layer >= 0; layer--) {
        const dz = activationGradient(tf, activationOf(layer), pre[layer] as unknown as tfTypes.Tensor2D, outs[layer + 1] as tfTypes.Tensor2D, dOut as tfTypes.Tensor2D);
        kernelGrads[layer] = tf.matMul(outs[layer] as tfTypes.Tensor3D, dz as unknown as tfTypes.Tensor3D, true, false).dataSync() as Float32Array;
        biasGrads[layer] = tf.sum(dz, 1).dataSync() as Float32Array;
        if (layer > 0) dOut = tf.matMul(dz as unknown as tfTypes.Tensor3D, kernels[layer]!, false, true);
      }
      active.forEach((m, i) => {
        if (!Number.isFinite(losses.get(m)!)) return;
        const grads = [...kernelGrads, ...biasGrads].map((g) => {
          const size = g.length / active.length;
          return g.subarray(i * size, (i + 1) * size);
        });
        members.get(m)!.apply(grads, lrOf(m));
      });
      return losses;
    },
    forward(x, active) {
      let values: Float32Array = new Float32Array(0);
      tf.tidy(() => {
        values = forwardAll(x, active).outputs[layers]!.dataSync() as Float32Array;
      });
      const per = values.length / active.length;
      return new Map(active.map((m, i) => [m, values.subarray(i * per, (i + 1) * per)]));
    },
    weights(m) {
      const values = members.get(m)!.values;
      return {
        layerSizes: [...sizes],
        activations: [...model.activation],
        kernels: values.slice(0, layers).map((v) => v.slice()),
        biases: values.slice(layers).map((v) => v.slice()),
      };
    },
    remove(m) {
      members.delete(m);
    },
    dispose() {
      members.clear();
    },
  };
}
