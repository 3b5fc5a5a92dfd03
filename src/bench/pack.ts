// The in-process half of the packing benchmark (bench.ts runs the sweep-level half): K trials of
// the seed network trained as one pack against the same K trained one after another, per backend
// and engine, and the tfjs memory a pack holds against one trial's.
import { loadSweepText } from '../spec/load.js';
import { resolveTrial } from '../spec/resolve.js';
import { ProblemData } from '../train/data.js';
import { trainTrial, type TrainHooks } from '../train/trainer.js';
import { trainPack, type PackEngineName } from '../train/pack.js';
import { loadBackend } from '../train/backend.js';
import type { BackendName } from '../train/backend-choice.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import { Worker } from 'node:worker_threads';
import type { PackThreadJob } from './pack-thread.js';

export interface EngineRatio {
  backend: BackendName;
  width: number;
  k: number;
  engine: PackEngineName;
  /** Trial-steps/s packed over trial-steps/s of the same trials one after another (medians). */
  speedup: number;
}

export interface PackMemory {
  k: number;
  /**
   * tfjs bytes held between steps (at the first evaluation): one trial alone, and a lockstep pack
   * of k. A step's own tensors (the shared batch among them) are freed when it ends, and the
   * held-out features stay in JS, so what is held is each member's weights.
   */
  soloBytes: number;
  packBytes: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function seedSpec(baselineText: string, width: number, steps: number): SweepSpec {
  const text = baselineText
    .replace(/width: 16/, `width: ${width}`)
    .replace(/steps: 3000/, `steps: ${steps}`)
    .replace(/eval_every: 250/, `eval_every: ${steps}`);
  return loadSweepText('bench-pack.yaml', text).spec;
}

/** K trials of the seed network differing in learning rate (and seed): the members of one pack. */
function members(spec: SweepSpec, k: number): TrialConfig[] {
  return Array.from({ length: k }, (_, i) => {
    const resolved = resolveTrial(spec, i, { 'training.lr': 0.002 * (1 + (i % 8)), 'training.seed': i + 1 });
    if (!resolved.ok) throw new Error(resolved.message);
    return resolved.config;
  });
}

const quiet = (): TrainHooks => ({ onEval: () => {}, shouldStop: () => false });

/** Packed vs one-after-another, interleaved over `repeats`, for each backend × width × engine at K. */
export async function engineRatios(
  baselineText: string,
  options: { backends: BackendName[]; widths: number[]; k: number; steps: number; repeats: number; engines?: PackEngineName[] },
): Promise<EngineRatio[]> {
  const engines = options.engines ?? (['lockstep', 'stacked'] as const);
  const out: EngineRatio[] = [];
  for (const backendName of options.backends) {
    for (const width of options.widths) {
      const spec = seedSpec(baselineText, width, options.steps);
      const data = new ProblemData(spec);
      const configs = members(spec, options.k);
      const samples = new Map<PackEngineName, number[]>(engines.map((engine) => [engine, []]));
      const backend = await loadBackend(backendName);
      // Warm-up: kernels, the JIT, data caches.
      trainPack(backend, spec, data, configs.slice(0, 2), [quiet(), quiet()]);
      trainTrial(backend, spec, data, configs[0]!, quiet());
      for (let r = 0; r < options.repeats; r++) {
        let started = performance.now();
        for (const config of configs) trainTrial(backend, spec, data, config, quiet());
        const alone = performance.now() - started;
        for (const engine of engines) {
          started = performance.now();
          trainPack(backend, spec, data, configs, configs.map(quiet), { engine });
          samples.get(engine)!.push(alone / (performance.now() - started));
        }
      }
      for (const [engine, ratios] of samples) out.push({ backend: backendName, width, k: options.k, engine, speedup: median(ratios) });
    }
  }
  return out;
}

/** tfjs bytes held between steps: one trial alone, and a lockstep pack of k, on wasm. */
export async function packMemory(baselineText: string, k: number): Promise<PackMemory> {
  const spec = seedSpec(baselineText, 16, 20);
  const data = new ProblemData(spec);
  const backend = await loadBackend('wasm');
  const { tf } = backend;
  const base = tf.memory().numBytes;
  let peak = 0;
  const watching = (): TrainHooks => ({ onEval: () => void (peak = Math.max(peak, tf.memory().numBytes - base)), shouldStop: () => false });
  const configs = members(spec, k);
  trainTrial(backend, spec, data, configs[0]!, watching());
  const soloBytes = peak;
  peak = 0;
  trainPack(backend, spec, data, configs, configs.map(watching), { engine: 'lockstep' });
  return { k, soloBytes, packBytes: peak };
}

/**
 * The same packed training as the sweep's grid in bare threads (pack-thread.ts: no orchestrator,
 * pool, store or messages): all `trials` in one thread, then half in each of two, seconds from
 * starting the threads to the last one's end. Their ratio is the most 2 workers can give over 1 on
 * this work, orchestration aside; the matMul loop's ceiling is that of lighter work.
 */
export async function bareThreads(text: string, trials: number, k: number, threads: 1 | 2): Promise<number> {
  const share = Math.ceil(trials / threads);
  const started = performance.now();
  const workers: Worker[] = [];
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const job: PackThreadJob = { text, first: t * share, count: Math.min(share, trials - t * share), k };
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./pack-thread.js', import.meta.url), { workerData: job });
        workers.push(worker);
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  return seconds;
}
