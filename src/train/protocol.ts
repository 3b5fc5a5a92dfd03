// What crosses the thread boundary between the orchestrator and a worker: the worker's setup
// (workerData), one task per pack of trials (a pack of one is a trial alone), the messages a
// worker streams for each trial while it trains, and the outcomes.
import type { MessagePort } from 'node:worker_threads';
import type { BackendName } from './backend-choice.js';
import type { EvalVerdict, MetricValues, TrialOutcome } from './trainer.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type { ProblemTable } from '../data/problem-table.js';

export interface WorkerSetup {
  spec: SweepSpec;
  /** A data problem's table: its columns are SharedArrayBuffers, so every worker reads the same memory. */
  table?: ProblemTable;
  /** Already resolved by the main thread: never 'auto'. */
  backend: BackendName;
}

/** One trial of a task. */
export interface MemberTask {
  config: TrialConfig;
  /** The worker's end of a channel for this trial: metrics flow out, a stop request flows in. */
  port: MessagePort;
  /**
   * Present when a pruner judges the trial: after each evaluation the worker blocks until the
   * main thread has written its verdict here (see VerdictSlot), so a decision always applies at
   * the step it was made for.
   */
  verdicts?: SharedArrayBuffer;
}

/** Trials of one shape trained together (pack.ts); one member: a trial trained alone. */
export interface PackTask {
  members: MemberTask[];
}

export type WorkerMessage =
  | { type: 'started'; worker: number; backend: BackendName }
  | { type: 'eval'; step: number; metrics: MetricValues; /** 1, 2, …: the evaluation's sequence number. */ seq: number }
  /** The trial ended (its pack may go on): sent as it happens, so a finished trial is recorded at once. */
  | { type: 'ended'; outcome: TrialOutcome };

export type ControlMessage = { type: 'stop' };

/**
 * A verdict handed from the main thread to a blocked worker through shared memory: [0] the
 * sequence number of the evaluation answered, [1] the verdict (0 continue, 1 prune).
 */
export class VerdictSlot {
  static readonly BYTES = 8;
  private readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  /** Main thread: answer evaluation `seq`. */
  answer(seq: number, verdict: EvalVerdict): void {
    Atomics.store(this.cells, 1, verdict === 'prune' ? 1 : 0);
    Atomics.store(this.cells, 0, seq);
    Atomics.notify(this.cells, 0);
  }

  /** Worker: wait for the answer to evaluation `seq`; after `timeoutMs` without one, go on. */
  await(seq: number, timeoutMs: number): EvalVerdict {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const answered = Atomics.load(this.cells, 0);
      if (answered >= seq) return Atomics.load(this.cells, 1) === 1 ? 'prune' : 'continue';
      const left = deadline - performance.now();
      if (left <= 0) return 'continue';
      Atomics.wait(this.cells, 0, answered, left);
    }
  }
}

/**
 * What a task returns: every member's outcome, in order; `workerBroken` asks the pool to replace
 * the thread. null: the member was still training when its pack failed as a whole (an error in
 * the shared step, a broken backend); it did not end, and is trained again alone.
 */
export interface TaskResult {
  outcomes: (TrialOutcome | null)[];
  workerBroken?: boolean;
}

export type { TrialOutcome };
