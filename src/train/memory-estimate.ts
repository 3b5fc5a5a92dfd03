// How much memory a sweep's trials need, estimated before anything runs, so that a training set
// of 2e8 samples or a 65536-wide network is refused with its estimate instead of ending in a V8
// heap abort or a machine swapping itself to a halt. It is an upper bound over the parameter
// space: every size-setting parameter at its largest value at once.
import fs from 'node:fs';
import os from 'node:os';
import { resolveTrial } from '../spec/resolve.js';
import { inputNames } from '../spec/names.js';
import { validationRowCount } from '../problem/data-source.js';
import { representativeValues } from '../spec/parameters.js';
import { formatBytes } from '../input/bounded-read.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type { FieldPath } from '../spec/source.js';

/** What one worker thread holds whatever it trains: tfjs, the wasm module, the compiled problem. */
export const WORKER_BASE_BYTES = 80 << 20;
/** The main process: the CLI, the store, the planner's history. */
const MAIN_BASE_BYTES = 120 << 20;
/** Samples drawn at a time for a streamed training set (train/data.ts draws blocks of 16384). */
const STREAM_SAMPLES = 16384;
/** What of the machine's memory a sweep may plan to use. */
const USABLE_FRACTION = 0.8;

export interface MemoryPart {
  what: string;
  bytes: number;
  /** The sweep-file field that sets this part's size. */
  path: FieldPath;
}

export interface TrialMemory {
  /** The largest trial's bytes in one worker, its base included. */
  bytes: number;
  /** Its parts, largest first. */
  parts: MemoryPart[];
}

const SIZE_PATHS = ['model.width', 'model.depth', 'training.batch_size', 'problem.train.size'] as const;

/** The estimate for the largest trial the sweep can plan. */
export function estimateTrialMemory(spec: SweepSpec): TrialMemory {
  const config = largestConfig(spec);
  const variables = inputNames(spec.problem).length;
  const features = Object.values(spec.features).reduce((most, formulas) => Math.max(most, formulas.length), 1);
  // Per sample: the variables (float64), the target and scale columns, the features as float64
  // while they are computed and as float32 for training, and a shuffled copy of the batch columns.
  const perSample = 8 * variables + 2 * (4 * features + 8 * (variables + 2)) + 8 * features + 4;
  const width = config ? config.model.width : 16;
  const depth = config ? config.model.depth : 2;
  const batch = config ? config.training.batch_size : 256;
  const trainSize = config?.train.size ?? 'stream';
  const layers = [features, ...Array.from({ length: depth }, () => width), 1];
  let weights = 0;
  for (let i = 0; i + 1 < layers.length; i++) weights += layers[i]! * layers[i + 1]! + layers[i + 1]!;
  const activationsPerSample = layers.reduce((a, b) => a + b, 0);
  // A data problem's validation rows are the shared table's (counted here all the same: each worker builds their features).
  const validation = validationRowCount(spec.problem);
  const parts: MemoryPart[] = [
    {
      what: trainSize === 'stream' ? 'the streamed training blocks' : `a fixed training set of ${trainSize} samples`,
      bytes: (trainSize === 'stream' ? STREAM_SAMPLES : trainSize) * perSample,
      path: ['problem', 'train', 'size'],
    },
    { what: `the validation set of ${validation} samples`, bytes: validation * (perSample + 4 * 2 * activationsPerSample), path: spec.problem.data ? ['problem', 'validation'] : ['problem', 'validation', 'size'] },
    // Weights, their gradients and two optimizer moments, as float32.
    { what: `a network of ${weights} weights`, bytes: 16 * weights, path: ['model', 'width'] },
    // Forward activations, their gradients and tfjs's temporaries, per sample of a batch.
    { what: `batches of ${batch} samples through it`, bytes: 4 * 3 * batch * activationsPerSample, path: ['training', 'batch_size'] },
  ];
  parts.sort((a, b) => b.bytes - a.bytes);
  return { bytes: WORKER_BASE_BYTES + parts.reduce((sum, part) => sum + part.bytes, 0), parts };
}

/** The bytes a sweep may plan to use on this machine: a share of its memory, or of its cgroup's limit when lower. */
export function memoryBudget(): number {
  let total = os.totalmem();
  try {
    const limit = fs.readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (/^\d+$/.test(limit)) total = Math.min(total, Number(limit));
  } catch {
    // No cgroup v2 limit to honour.
  }
  return Math.floor(total * USABLE_FRACTION) - MAIN_BASE_BYTES;
}

/** How many workers fit in `budget` at `perWorker` bytes each (at least one). */
export function workersThatFit(perWorker: number, budget: number): number {
  return Math.max(1, Math.floor(budget / perWorker));
}

/** A sentence for messages: "about 9.7 GiB (a fixed training set of 200000000 samples: 9.3 GiB, …)". */
export function describeEstimate(estimate: TrialMemory): string {
  const shown = estimate.parts.filter((part) => part.bytes >= 1 << 20).slice(0, 3);
  return `about ${formatBytes(estimate.bytes)}${shown.length ? ` (${shown.map((p) => `${p.what}: ${formatBytes(p.bytes)}`).join(', ')})` : ''}`;
}

/** The trial config with every size parameter at its largest value (the base trial when that does not resolve). */
function largestConfig(spec: SweepSpec): TrialConfig | undefined {
  const params: Record<string, unknown> = {};
  for (const parameter of spec.parameters) {
    const values = representativeValues(parameter.distribution);
    const sizes = (SIZE_PATHS as readonly string[]).includes(parameter.path) ? values.filter((v): v is number => typeof v === 'number') : [];
    params[parameter.path] = sizes.length ? sizes.reduce((a, b) => Math.max(a, b)) : values[0];
    if (parameter.path === 'problem.train.size' && values.every((v) => v === 'stream')) params[parameter.path] = 'stream';
  }
  const resolved = resolveTrial(spec, 0, params);
  if (resolved.ok) return resolved.config;
  const base = resolveTrial(spec, 0, Object.fromEntries(spec.parameters.map((p) => [p.path, representativeValues(p.distribution)[0]])));
  return base.ok ? base.config : undefined;
}
