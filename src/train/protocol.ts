// What crosses the thread boundary between the orchestrator and a worker: the worker's setup
// (workerData), one task per trial, the messages a worker streams while it trains, and the outcome.
import type { MessagePort } from 'node:worker_threads';
import type { BackendName } from './backend-choice.js';
import type { MetricValues, TrialOutcome } from './trainer.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';

export interface WorkerSetup {
  spec: SweepSpec;
  /** Already resolved by the main thread: never 'auto'. */
  backend: BackendName;
}

export interface TrialTask {
  config: TrialConfig;
  /** The worker's end of a channel for this trial: metrics flow out, a stop request flows in. */
  port: MessagePort;
}

export type WorkerMessage =
  | { type: 'started'; worker: number; backend: BackendName }
  | { type: 'eval'; step: number; metrics: MetricValues };

export type ControlMessage = { type: 'stop' };

export type { TrialOutcome };
