// Events the orchestrator emits as a sweep runs; reporters (the line printer, later the dashboard)
// only consume them.
import type { Params } from '../search/space.js';
import type { MetricValues } from '../train/trainer.js';
import type { BackendName } from '../train/backend-choice.js';

export type TrialEndState = 'complete' | 'pruned' | 'failed';

export interface BestSoFar {
  number: number;
  value: number;
}

export type SweepEvent =
  | {
      type: 'sweep-started';
      name: string;
      method: string;
      total: number;
      alreadyDone: number;
      workers: number;
      /** Trials per pack (1: each trial alone). */
      pack?: number;
      backend: BackendName;
      /** What the backend runs on, in words (e.g. "CPU, 2 cores" or a GPU's name). */
      device: string;
      db: string;
      /** `target`: the sweep stops once a complete trial reaches it (metric.target). */
      metric: { name: string; goal: 'minimize' | 'maximize'; target?: number };
      /** --time-budget: the run stops after this many seconds. */
      timeBudgetSeconds?: number;
      /** Several (named) targets: each target's metrics, shown beside the sweep metric. */
      targetMetrics?: string[];
    }
  /** Something the user should know that is not about one trial (a budget ran out, a target was reached). */
  | { type: 'notice'; message: string }
  /** `owner`: the machine and agent running it (several agents can share one sweep). */
  | { type: 'trial-started'; number: number; params: Params; worker: number; backend: BackendName; owner?: { host: string; agent: string } }
  | { type: 'trial-eval'; number: number; step: number; steps: number; metrics: MetricValues }
  | {
      type: 'trial-finished';
      number: number;
      params: Params;
      state: TrialEndState;
      value: number | null;
      step: number;
      error?: string;
      seconds: number;
      best: BestSoFar | null;
    }
  | { type: 'trial-interrupted'; number: number; step: number }
  | {
      type: 'sweep-finished';
      counts: Record<TrialEndState, number>;
      interrupted: number;
      best: BestSoFar | null;
      seconds: number;
      stopped: boolean;
    };
