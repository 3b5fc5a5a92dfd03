// The piscina worker: loads tfjs and the sweep's data once per thread, then trains one trial per
// task, streaming evaluation metrics over the task's MessagePort while it runs.
import { receiveMessageOnPort, threadId, workerData } from 'node:worker_threads';
import { loadBackend, type LoadedBackend } from './backend.js';
import { ProblemData } from './data.js';
import { FeatureError } from '../problem/dataset.js';
import { trainTrial, type TrialOutcome } from './trainer.js';
import { VerdictSlot, type ControlMessage, type TrialTask, type WorkerMessage, type WorkerSetup } from './protocol.js';

const setup = workerData as WorkerSetup;

/** A main thread that does not answer a pruning question within this time lets the trial go on. */
const VERDICT_TIMEOUT_MS = 30_000;

let ready: Promise<{ backend: LoadedBackend; data: ProblemData }> | undefined;

export default async function runTrialTask(task: TrialTask): Promise<TrialOutcome> {
  const { port, config } = task;
  try {
    ready ??= (async () => ({ backend: await loadBackend(setup.backend), data: new ProblemData(setup.spec) }))();
    const { backend, data } = await ready;
    post(task, { type: 'started', worker: threadId, backend: backend.name });
    let stopRequested = false;
    let seq = 0;
    const verdicts = task.verdicts ? new VerdictSlot(task.verdicts) : undefined;
    return trainTrial(backend, setup.spec, data, config, {
      onEval: (step, metrics) => {
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
    return { state: 'failed', value: null, step: 0, error: error instanceof FeatureError ? message : `trial threw: ${message}`, metrics: {} };
  }
  // The port is closed by the main thread once it has drained it: closing here could drop the last metrics.
}

function post(task: TrialTask, message: WorkerMessage): void {
  task.port.postMessage(message);
}
