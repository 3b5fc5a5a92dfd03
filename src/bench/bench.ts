// `npm run bench`: measures, in one run, the bare trainer's steps/s on the seed network
// (log inputs, 5-16-16-1 with exp, batch 1000, Adam) per available backend, and the throughput of a
// whole `run` (pool + metric stream + SQLite + reporter) with 1 and 2 workers, reported as ratios.
// Machines are noisy: compare the ratios, not the absolute numbers. Not a test: it asserts nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSweepText } from '../spec/load.js';
import { resolveTrial } from '../spec/resolve.js';
import { ProblemData } from '../train/data.js';
import { trainTrial } from '../train/trainer.js';
import { loadBackend } from '../train/backend.js';
import { probeTensorflow, type BackendName } from '../train/backend-choice.js';
import { openWriteStore } from '../store/index.js';
import { runSweep } from '../run/orchestrator.js';
import { sweepRecord } from '../commands/run.js';
import type { SweepSpec } from '../spec/types.js';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (args[args.indexOf('--json') + 1] ?? 'results/bench.json') : undefined;
const STEPS = Number(process.env.BENCH_STEPS ?? 1500);
/** A trainer measurement ends after STEPS steps or this many seconds, whichever comes first. */
const MEASURE_SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Each measurement is repeated and the median reported, to damp the machine's noise. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function medianOf(measure: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < REPEATS; i++) values.push(await measure());
  return median(values);
}
const RUN_TRIALS = Number(process.env.BENCH_TRIALS ?? 12);

const baselineText = readFileSync(new URL('../../sweeps/seed-baseline.yaml', import.meta.url), 'utf8');

/** The seed network with a fixed number of steps and a single evaluation at the end. */
function benchSpec(width: number, trials = 1): { spec: SweepSpec; text: string } {
  const text = baselineText
    .replace(/name: seed-baseline/, `name: bench-w${width}`)
    .replace(/width: 16/, `width: ${width}`)
    .replace(/steps: 3000/, `steps: ${STEPS}`)
    .replace(/eval_every: 250/, `eval_every: ${STEPS}`)
    .replace(/^method: grid$/m, `method: grid\nparameters:\n  training.seed: { values: [${Array.from({ length: trials }, (_, i) => i + 1).join(', ')}] }`);
  return { spec: loadSweepText('bench.yaml', text).spec, text };
}

async function trainerStepsPerSecond(backendName: BackendName, width: number): Promise<number> {
  const backend = await loadBackend(backendName);
  const { spec } = benchSpec(width);
  const data = new ProblemData(spec);
  const resolved = resolveTrial(spec, 0, { 'training.seed': 1 });
  if (!resolved.ok) throw new Error(resolved.message);
  // Warm-up (a second of training): kernels, wasm compilation, the JIT, data caches.
  const warmupStarted = performance.now();
  trainTrial(backend, spec, data, resolved.config, { onEval: () => {}, shouldStop: () => performance.now() - warmupStarted > 1000 });
  return medianOf(async () => {
    const started = performance.now();
    const outcome = trainTrial(backend, spec, data, resolved.config, {
      onEval: () => {},
      shouldStop: () => performance.now() - started > MEASURE_SECONDS * 1000,
    });
    const seconds = (performance.now() - started) / 1000;
    if (outcome.state === 'failed') throw new Error(`bench trial failed: ${outcome.error ?? ''}`);
    return outcome.step / seconds;
  });
}

async function runStepsPerSecond(backend: BackendName, workers: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-'));
  try {
    const { spec, text } = benchSpec(16, RUN_TRIALS);
    const store = openWriteStore(join(dir, 'bench.db'), sweepRecord(spec, text));
    const started = performance.now();
    const result = await runSweep({ spec, store, dbPath: join(dir, 'bench.db'), workers, backend, emit: () => {} });
    const seconds = (performance.now() - started) / 1000;
    store.close();
    if (result.counts.complete !== RUN_TRIALS) throw new Error(`bench run: ${JSON.stringify(result.counts)}`);
    return (RUN_TRIALS * STEPS) / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (v: number) => v.toFixed(0).padStart(7);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function main(): Promise<void> {
  const backends: BackendName[] = ['wasm', 'cpu'];
  const tensorflow = await probeTensorflow();
  if (tensorflow === true) backends.unshift('tensorflow');
  else console.log(`tensorflow backend skipped: ${tensorflow}`);
  console.log(`sweepdeck bench: batch 1000, Adam; median of ${REPEATS}; trainer: up to ${STEPS} steps or ${MEASURE_SECONDS}s per measurement; node ${process.version}\n`);

  const trainer: Record<string, Record<number, number>> = {};
  console.log('bare trainer, steps/s (one thread)');
  console.log('backend      w=16     w=64    w=256   w=16 vs wasm');
  for (const backend of backends) {
    trainer[backend] = {};
    for (const width of [16, 64, 256]) trainer[backend]![width] = await trainerStepsPerSecond(backend, width);
  }
  for (const backend of backends) {
    const row = trainer[backend]!;
    console.log(`${backend.padEnd(10)} ${fmt(row[16]!)}  ${fmt(row[64]!)}  ${fmt(row[256]!)}   ${ratio(row[16]!, trainer.wasm![16]!)}`);
  }

  console.log(`\nsweepdeck run on wasm, ${RUN_TRIALS} trials of the seed network (pool + metric stream + SQLite)`);
  const one = await medianOf(() => runStepsPerSecond('wasm', 1));
  const two = await medianOf(() => runStepsPerSecond('wasm', 2));
  const bare = trainer.wasm![16]!;
  console.log(`1 worker : ${fmt(one)} steps/s  = ${ratio(one, bare)} the bare trainer`);
  console.log(`2 workers: ${fmt(two)} steps/s  = ${ratio(two, one)} of 1 worker, ${ratio(two, bare)} the bare trainer`);

  if (jsonOut) {
    const numbers = { steps: STEPS, trainer, run: { workers1: one, workers2: two, scaling: two / one, overhead1: 1 - one / bare }, date: new Date().toISOString() };
    writeFileSync(jsonOut, `${JSON.stringify(numbers, null, 2)}\n`);
    console.log(`\nnumbers written to ${jsonOut}`);
  }
}

await main();
