// The piscina worker: loads tfjs and the sweep's data once per thread, then trains one trial per
// task, streaming evaluation metrics over the task's MessagePort while it runs.
import { receiveMessageOnPort, threadId, workerData } from 'node:worker_threads';
import { loadBackend, type LoadedBackend } from './backend.js';
import { ProblemData } from './data.js';
import { FeatureError } from '../problem/dataset.js';
import { TableSizeError, tableSource } from '../problem/data-source.js';
import { trainTrial } from './trainer.js';
import { VerdictSlot, type ControlMessage, type TaskOutcome, type TrialTask, type WorkerMessage, type WorkerSetup } from './protocol.js';
import { injectedFault } from './fault-injection.js';

const setup = workerData as WorkerSetup;

/** A main thread that does not answer a pruning question within this time lets the trial go on. */
const VERDICT_TIMEOUT_MS = 30_000;

let ready: Promise<{ backend: LoadedBackend; data: ProblemData }> | undefined;

export default async function runTrialTask(task: TrialTask): Promise<TaskOutcome> {
  const { port, config } = task;
  let loaded: LoadedBackend | undefined;
  /** The last step the trial is known to have reached, for the record of a failure. */
  let reached = 0;
  try {
    // A worker only trains: tfjs-core and its backends, without tf.layers (see loadBackend).
    ready ??= (async () => ({ backend: await loadBackend(setup.backend, { layers: false }), data: problemData() }))();
    const { backend, data } = await ready;
    loaded = backend;
    post(task, { type: 'started', worker: threadId, backend: backend.name });
    const fault = injectedFault(config.number, backend.tf);
    let stopRequested = false;
    let seq = 0;
    const verdicts = task.verdicts ? new VerdictSlot(task.verdicts) : undefined;
    return trainTrial(backend, setup.spec, data, config, {
      onEval: (step, metrics) => {
        reached = step;
        fault?.atEval(step);
        post(task, { type: 'eval', step, metrics, seq: ++seq });
        return verdicts ? verdicts.await(seq, VERDICT_TIMEOUT_MS) : 'continue';
      },
      // Training is synchronous, so the port's events never fire mid-trial: poll it instead.
      shouldStop: () => {
        for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
          if ((m.message as ControlMessage).type === 'stop') stopRequested = true;
        }
        return stopRequested;
      },
    });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    // A data error already says what and where; anything else is unexpected and says so.
    const failed: TaskOutcome = { state: 'failed', value: null, step: reached, error: error instanceof FeatureError || error instanceof TableSizeError ? message : `trial threw: ${message}`, metrics: {} };
    if (loaded && !backendWorks(loaded)) {
      // wasm running out of memory aborts the whole module: every later trial here would fail too.
      failed.error += ' (the backend broke; the worker thread is replaced)';
      failed.workerBroken = true;
    }
    return failed;
  }
  // The port is closed by the main thread once it has drained it: closing here could drop the last metrics.
}

/** The sweep's rows: a data problem's shared table, or the sampled variables. */
function problemData(): ProblemData {
  const { spec, table } = setup;
  return new ProblemData(spec, table ? () => tableSource(spec, table) : undefined);
}

function backendWorks({ tf }: LoadedBackend): boolean {
  try {
    return tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync()[0]) === 2;
  } catch {
    return false;
  }
}

function post(task: TrialTask, message: WorkerMessage): void {
  task.port.postMessage(message);
}
