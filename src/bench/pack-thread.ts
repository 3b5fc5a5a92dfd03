// One thread of the bare-training measurement (pack.ts: threadScaling): trains its share of the
// packing grid's trials in packs, with no orchestrator, pool, store or messages, and reports how
// long that took from the moment the thread began (tfjs loading and warm-up included, as a
// sweep's worker pays them).
import { parentPort, workerData } from 'node:worker_threads';
import { loadSweepText } from '../spec/load.js';
import { resolveTrial } from '../spec/resolve.js';
import { ProblemData } from '../train/data.js';
import { trainPack } from '../train/pack.js';
import { trainTrial, type TrainHooks } from '../train/trainer.js';
import { loadBackend } from '../train/backend.js';

export interface PackThreadJob {
  /** The grid's sweep text (its `training.seed` values are the trials). */
  text: string;
  /** Grid indices [first, first + count) are this thread's. */
  first: number;
  count: number;
  k: number;
}

const began = performance.now();
const job = workerData as PackThreadJob;
const spec = loadSweepText('bench-pack.yaml', job.text).spec;
const backend = await loadBackend('wasm', { layers: false });
const data = new ProblemData(spec);
const quiet = (): TrainHooks => ({ onEval: () => 'continue', shouldStop: () => false });
for (let start = job.first; start < job.first + job.count; start += job.k) {
  const configs = Array.from({ length: Math.min(job.k, job.first + job.count - start) }, (_, i) => {
    const resolved = resolveTrial(spec, start + i, { 'training.seed': start + i + 1 });
    if (!resolved.ok) throw new Error(resolved.message);
    return resolved.config;
  });
  if (configs.length === 1) trainTrial(backend, spec, data, configs[0]!, quiet());
  else trainPack(backend, spec, data, configs, configs.map(quiet));
}
parentPort!.postMessage((performance.now() - began) / 1000);
