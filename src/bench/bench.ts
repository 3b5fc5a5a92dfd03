// `npm run bench [-- --json FILE]`: measures, in one run, and reports as ratios:
//  - the bare trainer's steps/s per backend on the seed network (log inputs, 5-w-w-1 with exp,
//    batch 1000, Adam) at widths 16 (the seed's), 64 and 256, data generation included;
//  - the same loop in PyTorch (1 thread) when a python with torch is found ($SWEEPDECK_PYTHON,
//    python3, /usr/bin/python3), and the tfjs/PyTorch ratios; torch_seed.py is that loop;
//  - `run` throughput with 1 and 2 workers against the same trials run bare one after another,
//    and what this machine gives 2 threads over 1 on work with no coordination (the ceiling);
//  - the dashboard's cost: the same 2-worker run with the dashboard and with plain lines;
//  - the SQLite ingest rate (metric rows/s through WriteStore.addMetrics + flush);
//  - the web view (web.ts): report and browser load times for 10 000 trials, and what serving a
//    live 2-worker sweep costs it. `--only web` runs just that section.
//  - a data problem at scale (data.ts): a 1 000 000-row CSV's load time and a 2-worker sweep's peak
//    RSS (`npm run bench -- --only data` runs this part alone).
//  - the store on SQLite and PostgreSQL: ingest rows/s, claim latency with 1 and 4 agents (store.ts).
//  - trial packing (pack.ts): a 48-trial grid through `run` packed and unpacked with 2 workers and
//    packed with 1, beside the same packs in bare threads (the work's own 2-vs-1); per engine and
//    backend, K packed against K alone in one thread, and at K = 32 the limit packing tends to;
//    a pack's tfjs memory (`--only pack` runs this part alone).
// Machines are noisy: measurements that are compared are interleaved (A B A B …) and each number is
// the median of BENCH_REPEATS. Compare the ratios, not the absolute numbers. Not a test: it asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadSweepText } from '../spec/load.js';
import { resolveTrial } from '../spec/resolve.js';
import { ProblemData } from '../train/data.js';
import { trainTrial } from '../train/trainer.js';
import { loadBackend, type LoadedBackend } from '../train/backend.js';
import { probeTensorflow, type BackendName } from '../train/backend-choice.js';
import { openWriteStore } from '../store/index.js';
import { runSweep } from '../run/orchestrator.js';
import { lineReporter } from '../run/line-reporter.js';
import { discardingTerminal, startLiveDashboard } from '../tui/index.js';
import { sweepRecord } from '../commands/run.js';
import { storeBench } from './store.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import { measureWeb, serveAlongside, type WebNumbers } from './web.js';
import { benchData, reportData } from './data.js';
import { bareThreads, engineRatios, packMemory, type EngineRatio, type PackMemory } from './pack.js';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (args[args.indexOf('--json') + 1] ?? 'results/bench.json') : undefined;
/** A trainer measurement ends after STEPS steps or MEASURE_SECONDS, whichever comes first. */
const STEPS = Number(process.env.BENCH_STEPS ?? 3000);
const MEASURE_SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** The `run` measurements: this many trials of RUN_STEPS steps, evaluated every RUN_EVAL_EVERY. */
const RUN_TRIALS = Number(process.env.BENCH_TRIALS ?? 12);
const RUN_STEPS = Number(process.env.BENCH_RUN_STEPS ?? 1500);
const RUN_EVAL_EVERY = 250;
/** The dashboard's measurement runs longer, so its one-off costs (loading ink and React) weigh as in a real sweep. */
const DASHBOARD_RUN = { trials: 24, steps: 3000 };
const WIDTHS = [16, 64, 256];

const TORCH_SCRIPT = fileURLToPath(new URL('../../src/bench/torch_seed.py', import.meta.url));
const baselineText = readFileSync(new URL('../../sweeps/seed-baseline.yaml', import.meta.url), 'utf8');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The seed network at `width`, `trials` trials (training seeds 1…trials) of `steps` steps. */
function benchSpec(width: number, steps: number, evalEvery: number, trials = 1): { spec: SweepSpec; text: string } {
  const text = baselineText
    .replace(/name: seed-baseline/, `name: bench-w${width}`)
    .replace(/width: 16/, `width: ${width}`)
    .replace(/steps: 3000/, `steps: ${steps}`)
    .replace(/eval_every: 250/, `eval_every: ${evalEvery}`)
    .replace(/^method: grid$/m, `method: grid\nparameters:\n  training.seed: { values: [${Array.from({ length: trials }, (_, i) => i + 1).join(', ')}] }`);
  return { spec: loadSweepText('bench.yaml', text).spec, text };
}

function trialConfig(spec: SweepSpec, seed: number): TrialConfig {
  const resolved = resolveTrial(spec, seed - 1, { 'training.seed': seed });
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.config;
}

// ---- the bare trainer ----------------------------------------------------------------------------

/** One backend at one width, warmed up once; measure() trains for MEASURE_SECONDS (or STEPS steps). */
async function trainerProbe(backendName: BackendName, width: number): Promise<() => Promise<number>> {
  const { spec } = benchSpec(width, STEPS, STEPS);
  const data = new ProblemData(spec);
  const config = trialConfig(spec, 1);
  const train = async (seconds: number): Promise<number> => {
    // The backend is process-wide in tfjs: select it again before each measurement.
    const backend = await loadBackend(backendName);
    const started = performance.now();
    const outcome = trainTrial(backend, spec, data, config, { onEval: () => {}, shouldStop: () => performance.now() - started > seconds * 1000 });
    const elapsed = (performance.now() - started) / 1000;
    if (outcome.state === 'failed') throw new Error(`bench trial failed: ${outcome.error ?? ''}`);
    return outcome.step / elapsed;
  };
  // Warm-up (a second of training): kernels, wasm compilation, the JIT, data caches.
  await train(1);
  return () => train(MEASURE_SECONDS);
}

// ---- PyTorch ---------------------------------------------------------------------------------------

interface TorchFound {
  python: string;
  version: string;
}

/** The first python that imports torch: $SWEEPDECK_PYTHON, python3, /usr/bin/python3 (Debian's python3-torch lands there). */
function findTorch(): TorchFound | string {
  const candidates = [process.env.SWEEPDECK_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return `no python with torch among ${candidates.join(', ')} (install Debian's python3-torch, or set SWEEPDECK_PYTHON)`;
}

/** One measurement of the seed loop in PyTorch: steps/s with data generation, and without. */
function torchMeasure(torch: TorchFound, width: number): { withData: number; trainOnly: number } {
  const run = spawnSync(torch.python, [TORCH_SCRIPT, '--width', String(width), '--steps', String(STEPS), '--seconds', String(MEASURE_SECONDS), '--repeats', '1'], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (run.status !== 0) throw new Error(`${torch.python} ${TORCH_SCRIPT} failed: ${run.stderr.trim().split('\n').at(-1) ?? run.status}`);
  const result = JSON.parse(run.stdout) as { with_data: number[]; train_only: number[] };
  return { withData: result.with_data[0]!, trainOnly: result.train_only[0]! };
}

// ---- sweepdeck run -------------------------------------------------------------------------------

/**
 * The run's trials trained one after another in this thread: the denominator of the orchestration
 * cost. `warm` leaves out the first trial, as RunThroughput.warm does.
 */
async function bareTrialsStepsPerSecond(backend: LoadedBackend): Promise<{ all: number; warm: number }> {
  const { spec } = benchSpec(16, RUN_STEPS, RUN_EVAL_EVERY, RUN_TRIALS);
  const data = new ProblemData(spec);
  await loadBackend(backend.name);
  const started = performance.now();
  let firstEnd = started;
  let steps = 0;
  for (let seed = 1; seed <= RUN_TRIALS; seed++) {
    steps += trainTrial(backend, spec, data, trialConfig(spec, seed), { onEval: () => {}, shouldStop: () => false }).step;
    if (seed === 1) firstEnd = performance.now();
  }
  const ended = performance.now();
  return { all: steps / ((ended - started) / 1000), warm: (steps - RUN_STEPS) / ((ended - firstEnd) / 1000) };
}

interface RunThroughput {
  /** Steps/s from calling runSweep to its return: starting the worker threads included. */
  endToEnd: number;
  /**
   * Steps/s once every worker has finished its first trial (loaded tfjs, compiled its wasm, warmed
   * its JIT and data caches): what a long sweep sees. Trials running at that moment count pro rata.
   */
  warm: number;
}

async function runThroughput(
  workers: number,
  reporter: 'lines' | 'dashboard' = 'lines',
  size: { trials: number; steps: number } = { trials: RUN_TRIALS, steps: RUN_STEPS },
  /** Started once the DB exists (e.g. `sweepdeck serve` on it); the function it returns stops it. */
  alongside?: (dbPath: string) => Promise<() => Promise<void>>,
  /** Trials per pack (1: each alone, the default of every measurement but packing's). */
  pack = 1,
): Promise<RunThroughput> {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-'));
  try {
    const { spec, text } = benchSpec(16, size.steps, RUN_EVAL_EVERY, size.trials);
    const dbPath = join(dir, 'bench.db');
    const store = await openWriteStore(dbPath, sweepRecord(spec, text));
    const stopAlongside = alongside ? await alongside(dbPath) : undefined;
    // The line reporter writing to nowhere, or the dashboard drawing into a 160×50 terminal that
    // discards its bytes: formatting and rendering are part of the cost, the terminal is not.
    const dashboard =
      reporter === 'dashboard'
        ? await startLiveDashboard({ stdout: discardingTerminal({ columns: 160, rows: 50 }), dbPath, onInterrupt: () => {}, print: () => {}, parameters: spec.parameters })
        : undefined;
    const report = dashboard ? dashboard.emit : lineReporter(spec.metric.name, () => {});
    const trials = new Map<number, { worker: number; start: number; end?: number }>();
    const started = performance.now();
    const result = await runSweep({
      spec,
      store,
      dbPath,
      workers,
      backend: 'wasm',
      pack,
      emit: (event) => {
        if (event.type === 'trial-started') trials.set(event.number, { worker: event.worker, start: performance.now() });
        if (event.type === 'trial-finished') trials.get(event.number)!.end = performance.now();
        report(event);
      },
    });
    const ended = performance.now();
    await stopAlongside?.();
    await store.close();
    await dashboard?.finish();
    if (result.counts.complete !== size.trials) throw new Error(`bench run: ${JSON.stringify(result.counts)}`);
    const firstEnds = new Map<number, number>();
    for (const trial of trials.values()) firstEnds.set(trial.worker, Math.min(firstEnds.get(trial.worker) ?? Infinity, trial.end!));
    const warmFrom = Math.max(...firstEnds.values());
    let warmSteps = 0;
    for (const { start, end } of trials.values()) if (end! > warmFrom) warmSteps += (size.steps * (end! - Math.max(start, warmFrom))) / (end! - start);
    return { endToEnd: (size.trials * size.steps) / ((ended - started) / 1000), warm: warmSteps / ((ended - warmFrom) / 1000) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What this machine gives 2 threads over 1 on work with no coordination at all: a scalar float
 * loop, and tfjs-wasm matMuls (SIMD, 1000×64·64×64, the trainer's kind of work). units/s.
 */
async function parallelWorkRate(kind: 'scalar' | 'matmul', threads: number): Promise<number> {
  const backendUrl = new URL('../train/backend.js', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      let n = 0;
      let started = performance.now();
      if (workerData === 'scalar') {
        let x = 0;
        while (performance.now() - started < 2000) { for (let i = 1; i < 1e6; i++) x += Math.sqrt(i) * 1e-9; n++; }
      } else {
        const { loadBackend } = await import(${JSON.stringify(backendUrl)});
        const { tf } = await loadBackend('wasm');
        const a = tf.randomNormal([1000, 64]), b = tf.randomNormal([64, 64]);
        for (let i = 0; i < 50; i++) tf.matMul(a, b).dispose();
        started = performance.now();
        while (performance.now() - started < 2000) { tf.matMul(a, b).dispose(); n++; }
      }
      parentPort.postMessage(n / ((performance.now() - started) / 1000));
    })();`;
  const rates = await Promise.all(Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: kind });
    worker.once('message', (rate: number) => {
      void worker.terminate();
      resolve(rate);
    });
    worker.once('error', reject);
  })));
  return rates.reduce((a, b) => a + b, 0);
}

// ---- trial packing -------------------------------------------------------------------------------

/** The packing runs: a grid of seed-sized trials of one shape (the training seed swept; the stream is shared). */
const PACK_RUN = { trials: Number(process.env.BENCH_PACK_TRIALS ?? 48), steps: Number(process.env.BENCH_PACK_STEPS ?? 600) };
const PACK_K = 8;
/** A pack far larger than auto's: its gain is close to the limit, the share of a step that packing shares. */
const PACK_K_LIMIT = 32;

interface PackingNumbers {
  trials: number;
  steps: number;
  k: number;
  /** 2 workers, trial-steps/s: packs of K against every trial alone (end to end, medians). */
  unpacked2: number;
  packed2: number;
  /** 1 worker, packed: for 2 workers vs 1 with packing. */
  packed1: number;
  /** The same packs trained in bare threads (no orchestrator, pool or store): seconds, 1 thread and 2 (medians). */
  bare1Seconds: number;
  bare2Seconds: number;
  engines: EngineRatio[];
  /** One thread, lockstep, width 16, packs of PACK_K_LIMIT: what packing tends to on this backend as K grows. */
  limit: EngineRatio;
  memory: PackMemory;
}

async function packingSection(ceiling: number | undefined): Promise<PackingNumbers> {
  console.log(`
trial packing: a ${PACK_RUN.trials}-trial grid of the seed network (one shape), ${PACK_RUN.steps} steps, sweepdeck run on wasm, interleaved`);
  const unpacked: number[] = [];
  const packed: number[] = [];
  const packedOne: number[] = [];
  const bareOne: number[] = [];
  const bareTwo: number[] = [];
  const gridText = benchSpec(16, PACK_RUN.steps, RUN_EVAL_EVERY, PACK_RUN.trials).text;
  for (let r = 0; r < REPEATS; r++) {
    unpacked.push((await runThroughput(2, 'lines', PACK_RUN, undefined, 1)).endToEnd);
    packed.push((await runThroughput(2, 'lines', PACK_RUN, undefined, PACK_K)).endToEnd);
    packedOne.push((await runThroughput(1, 'lines', PACK_RUN, undefined, PACK_K)).endToEnd);
    bareOne.push(await bareThreads(gridText, PACK_RUN.trials, PACK_K, 1));
    bareTwo.push(await bareThreads(gridText, PACK_RUN.trials, PACK_K, 2));
  }
  const numbers = {
    unpacked2: median(unpacked),
    packed2: median(packed),
    packed1: median(packedOne),
    bare1Seconds: median(bareOne),
    bare2Seconds: median(bareTwo),
  };
  const bareScaling = numbers.bare1Seconds / numbers.bare2Seconds;
  console.log(`2 workers, every trial alone : ${fmt(numbers.unpacked2)} trial-steps/s`);
  console.log(`2 workers, packs of ${PACK_K}      : ${fmt(numbers.packed2)} trial-steps/s = ${ratio(numbers.packed2, numbers.unpacked2)} unpacked`);
  console.log(
    `1 worker,  packs of ${PACK_K}      : ${fmt(numbers.packed1)} trial-steps/s; 2 workers vs 1, packed: ${ratio(numbers.packed2, numbers.packed1)}` +
      (ceiling ? ` = ${((numbers.packed2 / numbers.packed1 / ceiling) * 100).toFixed(0)}% of this machine's 2-thread matMul ceiling (${ratio(ceiling, 1)})` : ''),
  );
  console.log(
    `the same packs in bare threads (no orchestrator, pool or store): 1 thread ${numbers.bare1Seconds.toFixed(1)} s, 2 threads ${numbers.bare2Seconds.toFixed(1)} s = ${ratio(bareScaling, 1)}; ` +
      `the sweep's 2 vs 1 is ${((numbers.packed2 / numbers.packed1 / bareScaling) * 100).toFixed(0)}% of that`,
  );
  // cpu at width 16 only: its plain-JS kernels make a width-64 measurement take minutes.
  const engines = [
    ...(await engineRatios(baselineText, { backends: ['wasm'], widths: [16, 64], k: PACK_K, steps: 300, repeats: REPEATS })),
    ...(await engineRatios(baselineText, { backends: ['cpu'], widths: [16], k: PACK_K, steps: 300, repeats: REPEATS })),
  ];
  console.log(`one thread, ${PACK_K} trials packed vs the same ${PACK_K} one after another (300 steps each):`);
  for (const e of engines) console.log(`  ${e.backend.padEnd(5)} w=${String(e.width).padEnd(3)} ${e.engine.padEnd(8)} ${ratio(e.speedup, 1)}`);
  const [limit] = await engineRatios(baselineText, { backends: ['wasm'], widths: [16], k: PACK_K_LIMIT, steps: 300, repeats: REPEATS, engines: ['lockstep'] });
  console.log(`  wasm  w=16  lockstep, ${PACK_K_LIMIT} per pack: ${ratio(limit!.speedup, 1)} (what packing tends to here: it shares the batch, each member's network is its own)`);
  const memory = await packMemory(baselineText, PACK_K);
  console.log(
    `tfjs memory held between steps: one trial ${(memory.soloBytes / 1024).toFixed(0)} KiB, a pack of ${PACK_K} ${(memory.packBytes / 1024).toFixed(0)} KiB ` +
      `(≤ ${PACK_K}× one trial: ${memory.packBytes <= PACK_K * memory.soloBytes ? 'yes' : 'NO'})`,
  );
  return { trials: PACK_RUN.trials, steps: PACK_RUN.steps, k: PACK_K, ...numbers, engines, limit: limit!, memory };
}

// ---- the dashboard -------------------------------------------------------------------------------

/**
 * The dashboard's cost: the run's throughput with the dashboard reporting versus the line reporter
 * (1 worker, same trials), as a fraction. Not measured yet: the dashboard is wired in separately.
 * It belongs here, measured like runThroughput with `emit` set to the dashboard's emit (rendering
 * to a stream that discards its output), interleaved with runThroughput(1) over REPEATS.
 */
/**
 * The same 2-worker run with the line reporter and with the dashboard, interleaved: the dashboard
 * draws on the main thread, which shares the 2 cores with the workers.
 */
async function measureDashboardCost(): Promise<{ lines: number; dashboard: number }> {
  const lines: number[] = [];
  const dashboard: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    lines.push((await runThroughput(2, 'lines', DASHBOARD_RUN)).endToEnd);
    dashboard.push((await runThroughput(2, 'dashboard', DASHBOARD_RUN)).endToEnd);
  }
  return { lines: median(lines), dashboard: median(dashboard) };
}

/** The same 2-worker run with and without `sweepdeck serve` (and a page's worth of fetching) beside it, interleaved. */
async function measureServeCost(): Promise<{ alone: number; served: number }> {
  const alone: number[] = [];
  const served: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    alone.push((await runThroughput(2, 'lines', DASHBOARD_RUN)).endToEnd);
    served.push((await runThroughput(2, 'lines', DASHBOARD_RUN, serveAlongside)).endToEnd);
  }
  return { alone: median(alone), served: median(served) };
}

async function webSection(): Promise<WebNumbers & { serve: { alone: number; served: number; cost: number } }> {
  console.log('');
  const numbers = await measureWeb((line) => console.log(line));
  const serve = await measureServeCost();
  console.log(
    `serving a live sweep (sweepdeck serve in another process, a client following its events), run of ${DASHBOARD_RUN.trials} trials × ${DASHBOARD_RUN.steps} steps with 2 workers: ` +
      `${fmt(serve.served)} steps/s vs ${fmt(serve.alone)} without = ${ratio(serve.served, serve.alone)} (target: a cost under 2 %)`,
  );
  return { ...numbers, serve: { ...serve, cost: 1 - serve.served / serve.alone } };
}

// ---- SQLite ingest -------------------------------------------------------------------------------

/** Metric rows/s through WriteStore.addMetrics (which flushes every FLUSH_ROWS) and a final flush. */
async function sqliteIngestRate(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-'));
  try {
    const { spec, text } = benchSpec(16, RUN_STEPS, RUN_EVAL_EVERY, 50);
    const store = await openWriteStore(join(dir, 'ingest.db'), sweepRecord(spec, text));
    const ids: number[] = [];
    for (let number = 0; number < 50; number++) ids.push(await store.insertTrial({ number, params: {}, config: null, steps: 10_000 }));
    // One evaluation's records: the sweep metric, its summaries, train_loss, lr, steps_per_s.
    const names = ['rel_l1', 'rel_l1.median', 'rel_l1.p90', 'rel_l1.max', 'train_loss', 'lr', 'steps_per_s'];
    let rows = 0;
    const started = performance.now();
    for (let step = 1; step <= 400; step++) {
      for (const id of ids) {
        const values: Record<string, number> = {};
        for (const name of names) values[name] = Math.random();
        await store.addMetrics(id, step * 25, values);
        rows += names.length;
      }
    }
    await store.flush();
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    return rows / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report --------------------------------------------------------------------------------------

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3)).padStart(7);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function main(): Promise<void> {
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  if (only === 'data') {
    for (const line of reportData(benchData())) console.log(line);
    return;
  }
  if (only === 'pack') {
    const ceilingRatios: number[] = [];
    for (let r = 0; r < REPEATS; r++) ceilingRatios.push((await parallelWorkRate('matmul', 2)) / (await parallelWorkRate('matmul', 1)));
    await packingSection(median(ceilingRatios));
    return;
  }
  if (args.includes('--only-dashboard')) {
    const dashboard = await measureDashboardCost();
    console.log(`dashboard: ${fmt(dashboard.dashboard)} steps/s vs ${fmt(dashboard.lines)} with plain lines = ${ratio(dashboard.dashboard, dashboard.lines)}`);
    return;
  }
  if (args.includes('--only') && args[args.indexOf('--only') + 1] === 'web') {
    const web = await webSection();
    if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: availableParallelism(), repeats: REPEATS, web }, null, 2)}\n`);
    return;
  }
  const backends: BackendName[] = ['wasm', 'cpu'];
  const tensorflow = await probeTensorflow();
  if (tensorflow === true) backends.unshift('tensorflow');
  const torch = findTorch();
  const cores = availableParallelism();
  const loadAtStart = loadavg()[0]!;
  console.log(`sweepdeck bench: node ${process.version}, ${cores} cores, load average ${loadAtStart.toFixed(2)} at start, ${new Date().toISOString()}`);
  console.log(`median of ${REPEATS}, interleaved; a trainer measurement is ${MEASURE_SECONDS}s or ${STEPS} steps`);
  if (tensorflow !== true) console.log(`tensorflow backend skipped: ${tensorflow}`);
  console.log(typeof torch === 'string' ? `PyTorch comparison skipped: ${torch}` : `PyTorch ${torch.version} (${torch.python}), 1 thread: src/bench/torch_seed.py`);

  // Trainer and PyTorch, width by width, interleaved repeat by repeat.
  const trainer: Record<string, Record<number, number>> = Object.fromEntries(backends.map((b) => [b, {}]));
  const pytorch: Record<number, { withData: number; trainOnly: number }> = {};
  for (const width of WIDTHS) {
    // One at a time: tfjs has one current backend per process.
    const probes: [BackendName, () => Promise<number>][] = [];
    for (const backend of backends) probes.push([backend, await trainerProbe(backend, width)]);
    const samples = new Map<string, number[]>();
    const torchSamples: { withData: number; trainOnly: number }[] = [];
    for (let r = 0; r < REPEATS; r++) {
      for (const [backend, measure] of probes) samples.set(backend, [...(samples.get(backend) ?? []), await measure()]);
      if (typeof torch !== 'string') torchSamples.push(torchMeasure(torch, width));
    }
    for (const backend of backends) trainer[backend]![width] = median(samples.get(backend)!);
    if (torchSamples.length) pytorch[width] = { withData: median(torchSamples.map((s) => s.withData)), trainOnly: median(torchSamples.map((s) => s.trainOnly)) };
  }

  console.log('\ntrainer, steps/s in one thread (the seed network: log inputs → w → w (exp) → 1, batch 1000, Adam; data generation included)');
  console.log(`${'backend'.padEnd(10)} ${WIDTHS.map((w) => `w=${w}`.padStart(7)).join(' ')}   w=16 vs wasm`);
  for (const backend of backends) {
    const row = trainer[backend]!;
    console.log(`${backend.padEnd(10)} ${WIDTHS.map((w) => fmt(row[w]!)).join(' ')}   ${ratio(row[16]!, trainer.wasm![16]!)}`);
  }
  if (typeof torch !== 'string') {
    console.log(`${'PyTorch'.padEnd(10)} ${WIDTHS.map((w) => fmt(pytorch[w]!.withData)).join(' ')}   (without data generation: ${WIDTHS.map((w) => pytorch[w]!.trainOnly.toFixed(0)).join(' / ')})`);
    for (const backend of backends) {
      console.log(`${`${backend}/PyTorch`.padEnd(10)} ${WIDTHS.map((w) => ratio(trainer[backend]![w]!, pytorch[w]!.withData).padStart(7)).join(' ')}`);
    }
  }

  // sweepdeck run against the same trials bare, then 2 workers, interleaved.
  console.log(`\nsweepdeck run on wasm: ${RUN_TRIALS} trials of the seed network, ${RUN_STEPS} steps, evaluated every ${RUN_EVAL_EVERY} (pool + metric stream + SQLite + line reporter)`);
  const wasm = await loadBackend('wasm');
  const bareSamples: { all: number; warm: number }[] = [];
  const oneSamples: RunThroughput[] = [];
  const twoSamples: RunThroughput[] = [];
  for (let r = 0; r < REPEATS; r++) {
    bareSamples.push(await bareTrialsStepsPerSecond(wasm));
    oneSamples.push(await runThroughput(1));
    twoSamples.push(await runThroughput(2));
  }
  const bare = { all: median(bareSamples.map((s) => s.all)), warm: median(bareSamples.map((s) => s.warm)) };
  const one = { endToEnd: median(oneSamples.map((s) => s.endToEnd)), warm: median(oneSamples.map((s) => s.warm)) };
  const two = { endToEnd: median(twoSamples.map((s) => s.endToEnd)), warm: median(twoSamples.map((s) => s.warm)) };
  const ceilings: Record<'scalar' | 'matmul', number> = { scalar: 0, matmul: 0 };
  for (const kind of ['scalar', 'matmul'] as const) {
    const ratios: number[] = [];
    for (let r = 0; r < REPEATS; r++) ratios.push((await parallelWorkRate(kind, 2)) / (await parallelWorkRate(kind, 1)));
    ceilings[kind] = median(ratios);
  }
  console.log(`bare trainer, the same trials one after another in this thread: ${fmt(bare.all)} steps/s;  warm (from the end of the first trial): ${fmt(bare.warm)}`);
  console.log(`run, 1 worker : ${fmt(one.endToEnd)} steps/s = ${ratio(one.endToEnd, bare.all)} bare, starting the worker included;  warm (from the end of each worker's first trial): ${fmt(one.warm)} = ${ratio(one.warm, bare.warm)} bare`);
  console.log(`run, 2 workers: ${fmt(two.endToEnd)} steps/s = ${ratio(two.endToEnd, one.endToEnd)} of 1 worker;  warm: ${fmt(two.warm)} = ${ratio(two.warm, one.warm)} of 1 worker`);
  console.log(`this machine, 2 threads vs 1 with no coordination: scalar loop ${ratio(ceilings.scalar, 1)}, tfjs-wasm matMul loop ${ratio(ceilings.matmul, 1)} (the ceiling for 2 workers)`);

  const packing = await packingSection(ceilings.matmul);

  // ink draws only the last frame when CI is set: a dashboard measured so would look free.
  if (process.env.CI) console.log('\ndashboard: CI is set, so ink would draw only the last frame; run the bench without CI to measure the dashboard');
  const dashboard = process.env.CI ? null : await measureDashboardCost();
  if (dashboard) {
    console.log(
      `\ndashboard (160×50, into a terminal that discards its bytes), run of ${DASHBOARD_RUN.trials} trials × ${DASHBOARD_RUN.steps} steps with 2 workers: ` +
        `${fmt(dashboard.dashboard)} steps/s vs ${fmt(dashboard.lines)} with plain lines = ${ratio(dashboard.dashboard, dashboard.lines)}`,
    );
  }

  const ingestRuns: number[] = [];
  for (let r = 0; r < REPEATS; r++) ingestRuns.push(await sqliteIngestRate());
  const ingest = median(ingestRuns);
  console.log(`SQLite ingest: ${fmt(ingest)} metric rows/s (WriteStore.addMetrics + flush; 7 metrics per evaluation)`);
  const web = await webSection();

  const data = benchData();
  console.log('');
  for (const line of reportData(data)) console.log(line);
  // The store on SQLite and PostgreSQL side by side (also alone: npm run bench:store).
  console.log('');
  const store = await storeBench();

  if (jsonOut) {
    const numbers = {
      date: new Date().toISOString(),
      node: process.version,
      cores,
      loadAverageAtStart: loadAtStart,
      repeats: REPEATS,
      trainer,
      pytorch: typeof torch === 'string' ? null : { version: torch.version, python: torch.python, stepsPerSecond: pytorch },
      run: { trials: RUN_TRIALS, steps: RUN_STEPS, evalEvery: RUN_EVAL_EVERY, bare, workers1: one, workers2: two, scaling: two.endToEnd / one.endToEnd, scalingWarm: two.warm / one.warm, orchestrationCost: 1 - one.warm / bare.warm, orchestrationCostEndToEnd: 1 - one.endToEnd / bare.all, twoThreadCeiling: ceilings },
      packing,
      dashboard: dashboard ? { ...dashboard, cost: 1 - dashboard.dashboard / dashboard.lines } : null,
      sqliteRowsPerSecond: ingest,
      web,
      data,
      store,
    };
    writeFileSync(jsonOut, `${JSON.stringify(numbers, null, 2)}\n`);
    console.log(`\nnumbers written to ${jsonOut}`);
  }
}

await main();
