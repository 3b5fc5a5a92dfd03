// The piscina worker: loads tfjs and the sweep's data once per thread, then trains one task at a
// time — a trial alone, or a pack of same-shape trials (pack.ts) — streaming each trial's
// evaluation metrics and its end over that trial's MessagePort while it runs.
import { receiveMessageOnPort, threadId, workerData } from 'node:worker_threads';
import { loadBackend, type LoadedBackend } from './backend.js';
import { ProblemData } from './data.js';
import { FeatureError } from '../problem/dataset.js';
import { TableSizeError, tableSource } from '../problem/data-source.js';
import { trainTrial, type TrainHooks, type TrialOutcome } from './trainer.js';
import { trainPack } from './pack.js';
import { VerdictSlot, type ControlMessage, type MemberTask, type PackTask, type TaskResult, type WorkerMessage, type WorkerSetup } from './protocol.js';
import { injectedFault } from './fault-injection.js';

const setup = workerData as WorkerSetup;

/** A main thread that does not answer a pruning question within this time lets the trial go on. */
const VERDICT_TIMEOUT_MS = 30_000;

let ready: Promise<{ backend: LoadedBackend; data: ProblemData }> | undefined;

export default async function runPackTask(task: PackTask): Promise<TaskResult> {
  const { members } = task;
  let loaded: LoadedBackend | undefined;
  /** The last step each trial is known to have reached, for the record of a failure. */
  const reached = members.map(() => 0);
  const outcomes: (TrialOutcome | undefined)[] = members.map(() => undefined);
  const ended = (m: number, outcome: TrialOutcome) => {
    outcomes[m] = outcome;
    post(members[m]!, { type: 'ended', outcome });
  };
  try {
    // A worker only trains: tfjs-core and its backends, without tf.layers (see loadBackend).
    ready ??= (async () => ({ backend: await loadBackend(setup.backend, { layers: false }), data: problemData() }))();
    const { backend, data } = await ready;
    loaded = backend;
    const hooks = members.map((member, m) => memberHooks(member, backend, (step) => (reached[m] = step)));
    for (const member of members) post(member, { type: 'started', worker: threadId, backend: backend.name });
    if (members.length === 1) ended(0, trainTrial(backend, setup.spec, data, members[0]!.config, hooks[0]!));
    else {
      // The engine is the backend's (pack.ts: defaultPackEngine).
      trainPack(backend, setup.spec, data, members.map((m) => m.config), hooks, { ended, describeError });
    }
    return { outcomes: outcomes.map((o) => o ?? null) };
  } catch (error) {
    // wasm running out of memory aborts the whole module: every later trial here would fail too.
    const broken = loaded !== undefined && !backendWorks(loaded);
    // A pack that failed as a whole cannot say which member caused it: the members still training
    // did not end (null) and are trained again alone, where a culprit fails by itself.
    if (members.length > 1) return { outcomes: outcomes.map((o) => o ?? null), ...(broken ? { workerBroken: true } : {}) };
    const message = describeError(error);
    ended(0, { state: 'failed', value: null, step: reached[0]!, error: broken ? `${message} (the backend broke; the worker thread is replaced)` : message, metrics: {} });
    return { outcomes: [outcomes[0]!], ...(broken ? { workerBroken: true } : {}) };
  }
  // The ports are closed by the main thread once it has drained them: closing here could drop the last messages.
}

/** A trial's hooks: its evaluations go out over its port (and wait for the pruner's verdict), its stop requests come in. */
function memberHooks(member: MemberTask, backend: LoadedBackend, reachedStep: (step: number) => void): TrainHooks {
  const fault = injectedFault(member.config.number, backend.tf);
  let stopRequested = false;
  let seq = 0;
  const verdicts = member.verdicts ? new VerdictSlot(member.verdicts) : undefined;
  return {
    onEval: (step, metrics) => {
      reachedStep(step);
      fault?.atEval(step);
      post(member, { type: 'eval', step, metrics, seq: ++seq });
      return verdicts ? verdicts.await(seq, VERDICT_TIMEOUT_MS) : 'continue';
    },
    // Training is synchronous, so the port's events never fire mid-trial: poll it instead.
    shouldStop: () => {
      for (let m = receiveMessageOnPort(member.port); m; m = receiveMessageOnPort(member.port)) {
        if ((m.message as ControlMessage).type === 'stop') stopRequested = true;
      }
      return stopRequested;
    },
  };
}

/** A data error already says what and where; anything else is unexpected and says so. */
function describeError(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  return error instanceof FeatureError || error instanceof TableSizeError ? message : `trial threw: ${message}`;
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

function post(member: MemberTask, message: WorkerMessage): void {
  member.port.postMessage(message);
}
