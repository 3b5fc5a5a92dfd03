// The store seam: what the run orchestrator (one `run` or one `agent` process) needs of the DB
// that holds a sweep, whichever DB that is. Two implementations: SQLite (write.ts, the embedded
// default) and PostgreSQL (pg/store.ts, many agents on many machines). test/store/contract.test.ts
// runs one suite over both.
import type { TrainedModel } from '../train/model.js';
import type { SweepRecord } from './open.js';
import type { CurvePoint, TrialState, TrialSummary } from './read.js';
import type { ModelBlob } from './models.js';

/** Which process holds a trial: the machine's host name and the agent's id (unique per process). */
export interface TrialOwner {
  host: string;
  agent: string;
}

/** A trial as a planner and a pruner need it (the ledger's rows). */
export interface StoredTrial {
  number: number;
  state: TrialState;
  params: Record<string, unknown>;
  value: number | null;
  step: number | null;
}

/** One recorded value of the sweep metric. */
export interface MetricPoint {
  number: number;
  step: number;
  value: number | null;
}

/**
 * What changed in the sweep since the store's last `changes()` (or since it was opened): the rows
 * of the trials that changed, and the whole sweep-metric curve of each of them. Applying it to the
 * ledger makes the ledger see every agent's trials.
 */
export interface LedgerDelta {
  trials: StoredTrial[];
  points: MetricPoint[];
}

/** What the planner makes of a trial number that is being claimed. */
export interface PlannedTrial {
  params: Record<string, unknown>;
  /** The resolved trial (null when it does not resolve: the trial is then recorded as failed). */
  config: unknown;
  steps: number;
}

export interface ClaimRequest {
  owner: TrialOwner;
  /** The plan's size: trial numbers are 0 … total-1. */
  total: number;
  /**
   * Called inside the claim, under the sweep's lock, with what changed since the last delta: so
   * the planner asked next sees every trial claimed before this one, on any machine.
   */
  sync(delta: LedgerDelta): void;
  /** The parameters of `number`; `stored` holds those it was first planned with when it is claimed again. */
  plan(number: number, stored: Record<string, unknown> | undefined): PlannedTrial;
}

export interface ClaimedTrial {
  /** trials.id: what the other writes take. */
  id: number;
  number: number;
  params: Record<string, unknown>;
  config: unknown;
  steps: number;
  /** It had been claimed before (its earlier run was interrupted or its agent went silent). */
  retried: boolean;
}

export interface TrialEnd {
  state: 'complete' | 'pruned' | 'failed';
  value: number | null;
  step: number;
  error?: string;
}

/** Heartbeat and grace period: a running trial whose agent was silent this long goes back to the queue. */
export interface Liveness {
  heartbeatSeconds: number;
  graceSeconds: number;
}

/**
 * The writer's side of one sweep. Every write after the claim carries the claim: a trial whose
 * claim was taken over (its agent was presumed dead) refuses the late writes, so no result is
 * recorded twice. Metrics are buffered (addMetrics) and written in batches (flush, finishTrial).
 */
export interface SweepStore {
  /** Where the sweep lives, for messages (a path, or a URL without its password). */
  readonly location: string;
  sweep(): SweepRecord;
  /** Every trial of the sweep (the ledger's start). */
  trialRecords(): Promise<StoredTrial[]>;
  /** Every recorded value of metric `name`, by trial number then step. */
  metricPoints(name: string): Promise<MetricPoint[]>;
  best(): Promise<{ number: number; value: number } | null>;
  /** What changed since the last call (the first call: since the store was opened). */
  changes(): Promise<LedgerDelta>;
  /**
   * Atomically takes the next trial: a queued one (lowest number first, after putting back those
   * whose agent stopped heartbeating), or else the next unused number below `total`. Undefined
   * when there is none left to run.
   */
  claimTrial(request: ClaimRequest): Promise<ClaimedTrial | undefined>;
  markRunning(id: number, worker: number, backend: string): Promise<void>;
  addMetrics(id: number, step: number, values: Record<string, number>): Promise<void>;
  /** Records the end of a claimed trial; false when the claim was lost (the result is discarded). */
  finishTrial(id: number, end: TrialEnd, model?: TrainedModel): Promise<boolean>;
  /** Puts a trial stopped part-way back in the queue, keeping its parameters. */
  requeueTrial(id: number): Promise<void>;
  /** Tells the DB that this process is alive and still runs its claimed trials. */
  heartbeat(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  /**
   * Writes a finished or queued trial as another store recorded it (`sweepdeck copy`): its row as
   * it was, every metric point and its kept model. The number must be new to this sweep.
   */
  importTrial(trial: TrialSummary, metrics: readonly CurvePoint[], model?: ModelBlob): Promise<void>;
}
