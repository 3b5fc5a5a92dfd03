// Which trials may be packed together (src/train/pack.ts), and how many per pack.
//
// Trials share a pack when they share a shape and a training stream: the same features and input
// normalisation, batch size, evaluation interval, depth, width, activation per layer and outputs,
// and the same training data in the same order (a sampled stream is the same for every trial; a
// finite set is shuffled with the trial's seed, so there the seed is part of the key). Everything
// else is each member's own: learning rate, optimiser, schedule, head, loss, loss weights,
// initialiser, seed (for its weights), gradient clip and steps.
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type { BackendName } from '../train/backend-choice.js';

/** `pack:` in a sweep file and `--pack` on the command line. */
export type PackSetting = 'auto' | 'off' | number;

/** The most trials one pack holds. */
export const MAX_PACK = 64;

/** The key trials of one pack share; null: this trial is always trained alone (one network per target). */
export function packKey(spec: SweepSpec, config: TrialConfig): string | null {
  const { model, training, train } = config;
  const outputs = spec.problem.targets ? Object.keys(spec.problem.targets).length : 1;
  if (model.shared === false && outputs > 1) return null;
  const stream = !spec.problem.data && train.size === 'stream';
  return JSON.stringify([
    config.features,
    model.input_norm,
    training.batch_size,
    training.eval_every,
    model.depth,
    model.width,
    model.activation.slice(0, model.depth),
    outputs,
    train.seed,
    train.size,
    stream ? null : training.seed,
  ]);
}

/**
 * How many trials a pack holds at most: `off` 1, K as asked, `auto` the most any trial of the
 * sweep may get from packCapacity.
 */
export function packSize(setting: PackSetting, backend: BackendName, spec: SweepSpec): number {
  if (setting === 'off') return 1;
  if (typeof setting === 'number') return Math.min(setting, MAX_PACK);
  if (backend === 'cpu' || spec.method === 'tpe') return 1;
  return AUTO_PACK;
}

/** `auto`'s largest pack. */
const AUTO_PACK = 8;

/**
 * How many trials of this one's shape a pack may hold under `setting` — for `auto`, what the
 * bench measured pays (its packing section: 8 trials packed vs one after another, one thread):
 * on wasm 8 up to width 16 (1.3×), 4 up to width 32 (1.2×; 8 gave 1.1×), none wider (width 64:
 * 4 gave 1.07×, 8 0.9×: a step is arithmetic there, and the shared batch is a small part of it);
 * 8 on tensorflow (batched products, where a GPU gains most; unverified here); none on cpu, where
 * a step is the arithmetic of plain-JS kernels and packing measured no gain. A TPE sweep is not
 * packed unless asked: packs are claimed ahead of the workers, so TPE proposes with less of the
 * history, and on the showcase that cost more than packing gained (bench:search --pack: the
 * target in 32.9 s against 16.3 s, median of 4 seeds).
 */
export function packCapacity(setting: PackSetting, backend: BackendName, spec: SweepSpec): (config: TrialConfig) => number {
  const most = packSize(setting, backend, spec);
  if (setting !== 'auto' || most === 1 || backend !== 'wasm') return () => most;
  return (config) => {
    // An affine network (depth 0) has no hidden width: it is the cheapest shape of all.
    const width = config.model.depth === 0 ? 0 : config.model.width;
    return width <= 16 ? most : width <= 32 ? Math.min(most, 4) : 1;
  };
}
