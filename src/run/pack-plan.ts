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
 * How many trials a pack holds: `off` 1, K as asked, `auto` what the bench measured pays on this
 * backend — 8 on wasm for networks up to width 64 (the shared batch and fewer per-trial steps
 * outside the network; the bench's packing section), 8 on tensorflow (batched products, where a
 * GPU gains most; unverified here), and 1 on cpu, where a step is the arithmetic of plain-JS
 * kernels and packing measured no gain.
 */
export function packSize(setting: PackSetting, backend: BackendName, spec: SweepSpec): number {
  if (setting === 'off') return 1;
  if (typeof setting === 'number') return Math.min(setting, MAX_PACK);
  if (backend === 'cpu') return 1;
  if (backend === 'tensorflow') return 8;
  return widestNetwork(spec) <= 64 ? 8 : 1;
}

/** The widest hidden layer any trial of the sweep can have (the sweep's width values, or its fixed width). */
function widestNetwork(spec: SweepSpec): number {
  const swept = spec.parameters.find((p) => p.path === 'model.width')?.distribution;
  if (!swept) return typeof spec.model.width === 'number' ? spec.model.width : 16;
  if (swept.type === 'categorical') return Math.max(...swept.choices.map((v) => (typeof v === 'number' ? v : 0)));
  return 'high' in swept ? Number(swept.high) : Infinity;
}
