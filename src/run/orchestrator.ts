// Runs a sweep: asks the planner for each trial's parameters, hands trials to the worker pool,
// writes everything the workers report into the store (the only writer), and emits events.
// Data flows one way: planner → pool → store → events.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { makePlanner, type TrialRecord } from '../search/planner.js';
import { resolveTrial } from '../spec/resolve.js';
import type { SweepSpec } from '../spec/types.js';
import type { WriteStore } from '../store/index.js';
import type { BackendName } from '../train/backend-choice.js';
import type { TrialOutcome } from '../train/trainer.js';
import type { ControlMessage, TrialTask, WorkerMessage, WorkerSetup } from '../train/protocol.js';
import type { BestSoFar, SweepEvent, TrialEndState } from './events.js';

export interface RunOptions {
  spec: SweepSpec;
  store: WriteStore;
  dbPath: string;
  workers: number;
  backend: BackendName;
  /** What the backend runs on, in words, for reporters. */
  device?: string;
  emit(event: SweepEvent): void;
  /** Aborting stops dispatching and asks running trials to stop at their next step; they go back to the queue. */
  signal?: AbortSignal;
}

export interface SweepResult {
  counts: Record<TrialEndState, number>;
  interrupted: number;
  best: BestSoFar | null;
  stopped: boolean;
}

/** How often buffered metrics are written, at most. */
const FLUSH_INTERVAL_MS = 250;
const DONE_STATES = new Set(['complete', 'pruned', 'failed']);

/** The device a backend computes on, in words; the native TensorFlow backend names its GPU (or CPU) itself. */
export function describeDevice(backend: BackendName): string {
  const cores = availableParallelism();
  const cpu = `CPU, ${cores} core${cores === 1 ? '' : 's'}`;
  return backend === 'tensorflow' ? 'native TensorFlow (CUDA GPU if present)' : `${cpu}, one trial per worker thread`;
}

export async function runSweep(options: RunOptions): Promise<SweepResult> {
  const { spec, store, backend, emit } = options;
  const sweepStarted = performance.now();
  const planner = makePlanner(spec);
  const states = store.trialStates();
  const alreadyDone = [...states.values()].filter((s) => DONE_STATES.has(s)).length;
  const history: TrialRecord[] = [];
  const counts: Record<TrialEndState, number> = { complete: 0, pruned: 0, failed: 0 };
  let best: BestSoFar | null = store.best();
  let interrupted = 0;
  let stopping = options.signal?.aborted ?? false;
  const controls = new Map<number, MessagePort>();

  const isBetter = (value: number, than: BestSoFar | null) =>
    than === null || (spec.metric.goal === 'minimize' ? value < than.value : value > than.value);

  options.signal?.addEventListener('abort', () => {
    stopping = true;
    const stop: ControlMessage = { type: 'stop' };
    for (const port of controls.values()) port.postMessage(stop);
  });

  // No more threads than trials left to run: each one loads tfjs and the sweep's data.
  const remaining = Array.from({ length: planner.total }, (_, n) => n).filter((n) => !DONE_STATES.has(states.get(n) ?? '')).length;
  const workers = Math.max(1, Math.min(options.workers, remaining));
  const setup: WorkerSetup = { spec, backend };
  const pool = new Piscina<TrialTask, TrialOutcome>({
    filename: new URL('../train/worker.js', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
    workerData: setup,
  });
  emit({
    type: 'sweep-started',
    name: spec.name,
    method: spec.method,
    total: planner.total,
    alreadyDone,
    workers,
    backend,
    device: options.device ?? describeDevice(backend),
    db: options.dbPath,
    metric: spec.metric,
  });
  const flushTimer = setInterval(() => store.flush(), FLUSH_INTERVAL_MS);

  const runTrial = async (number: number): Promise<void> => {
    const trialStarted = performance.now();
    const params = planner.ask(number, history);
    const resolved = resolveTrial(spec, number, params);
    const id = store.insertTrial({ number, params, config: resolved.ok ? resolved.config : null, steps: resolved.ok ? resolved.config.training.steps : 0 });
    const finish = (outcome: { state: TrialEndState; value: number | null; step: number; error?: string }) => {
      store.finishTrial(id, outcome);
      counts[outcome.state]++;
      history.push({ number, params, state: outcome.state, value: outcome.value, step: outcome.step });
      if (outcome.state === 'complete' && outcome.value !== null && isBetter(outcome.value, best)) best = { number, value: outcome.value };
      emit({ type: 'trial-finished', number, params, ...outcome, seconds: (performance.now() - trialStarted) / 1000, best });
    };
    if (!resolved.ok) {
      finish({ state: 'failed', value: null, step: 0, error: `invalid trial configuration: ${resolved.path.join('.')}: ${resolved.message}` });
      return;
    }

    const steps = resolved.config.training.steps;
    const channel = new MessageChannel();
    controls.set(number, channel.port1);
    if (stopping) channel.port1.postMessage({ type: 'stop' } satisfies ControlMessage);
    let lastStep = 0;
    const handle = (message: WorkerMessage) => {
      if (message.type === 'started') {
        store.markRunning(id, message.worker, message.backend);
        emit({ type: 'trial-started', number, params, worker: message.worker, backend: message.backend });
      } else {
        store.addMetrics(id, message.step, message.metrics);
        lastStep = message.step;
        emit({ type: 'trial-eval', number, step: message.step, steps, metrics: message.metrics });
      }
    };
    channel.port1.on('message', handle);

    let outcome: TrialOutcome;
    try {
      outcome = await pool.run({ config: resolved.config, port: channel.port2 }, { transferList: [channel.port2] });
    } catch (error) {
      outcome = { state: 'failed', value: null, step: lastStep, error: `worker crashed: ${(error as Error).message.split('\n')[0]}`, metrics: {} };
    }
    // Messages posted before the task returned are already queued on our end: take them now, in order.
    for (let m = receiveMessageOnPort(channel.port1); m; m = receiveMessageOnPort(channel.port1)) handle(m.message as WorkerMessage);
    channel.port1.close();
    controls.delete(number);

    if (outcome.state === 'stopped') {
      store.requeueTrial(id);
      interrupted++;
      emit({ type: 'trial-interrupted', number, step: outcome.step });
      return;
    }
    finish({ state: outcome.state, value: outcome.state === 'complete' ? outcome.value : null, step: outcome.step, ...(outcome.error ? { error: outcome.error } : {}) });
  };

  let next = 0;
  const takeNext = (): number | undefined => {
    while (next < planner.total && DONE_STATES.has(states.get(next) ?? '')) next++;
    return next < planner.total ? next++ : undefined;
  };
  const running = new Set<Promise<void>>();
  try {
    while (!stopping) {
      const number = takeNext();
      if (number === undefined) break;
      const trial: Promise<void> = runTrial(number).finally(() => running.delete(trial));
      running.add(trial);
      if (running.size >= workers) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    clearInterval(flushTimer);
    store.flush();
    await pool.destroy();
  }
  const result: SweepResult = { counts, interrupted, best, stopped: stopping };
  emit({ type: 'sweep-finished', ...result, seconds: (performance.now() - sweepStarted) / 1000 });
  return result;
}
