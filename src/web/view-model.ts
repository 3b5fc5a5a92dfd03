// The web view's data, as JSON: what the server's /api routes answer and what `report` inlines.
// The browser code (src/web/client/) imports these types only; src/web/load.ts builds them from
// the store. Numbers that may be missing are null (JSON has no NaN).
import type { TrialState } from '../store/index.js';

export type { TrialState };

/** One swept parameter as an axis: categorical (its choices, as text) or numeric (log or linear). */
export type ParameterAxis =
  | { path: string; kind: 'categorical'; choices: string[] }
  | { path: string; kind: 'numeric'; log: boolean; low: number; high: number; integer: boolean };

export interface TrialRow {
  number: number;
  state: TrialState;
  /** The sweep metric: the final value of a complete trial, the value at its last evaluation otherwise. */
  value: number | null;
  /** Parameter values by path; categorical ones as they are stored (numbers stay numbers). */
  params: Record<string, unknown>;
  step: number | null;
  steps: number | null;
  worker: number | null;
  /** Milliseconds since the epoch, or null before the trial started / finished. */
  startedAt: number | null;
  finishedAt: number | null;
  /** Why it failed or was pruned. */
  error: string | null;
}

/** A trial's validation curve of the sweep metric: steps and values, same length. */
export interface Curve {
  steps: number[];
  values: (number | null)[];
}

export type ImportanceView =
  | {
      ok: true;
      /** Which trials were used, in words (e.g. "412 complete trials"). */
      basis: string;
      method: string;
      target: 'value' | 'log10';
      importances: { parameter: string; importance: number }[];
    }
  | { ok: false; reason: string };

/** The pruner, as far as a chart needs it. */
export interface PrunerView {
  type: 'median' | 'asha' | 'hyperband';
  /** Rung steps of ASHA (Hyperband: of its first bracket); empty for the median pruner. */
  rungs: number[];
  description: string;
}

/** The best kept model's error on the validation set against each input variable. */
export type InputErrorView =
  | {
      ok: true;
      trial: number;
      metric: string;
      points: number;
      /** Per variable: a sample of (x, error) points and the median error in quantile bins of x. */
      variables: { name: string; log: boolean; x: number[]; error: number[]; bins: { x: number; median: number }[] }[];
    }
  | { ok: false; reason: string };

export interface SweepView {
  /** Changes whenever the DB does: the live page refetches when the server says it changed. */
  version: number;
  generatedAt: string;
  db: string;
  sweep: { name: string; method: string; metric: string; goal: 'minimize' | 'maximize'; createdAt: string; target: number | null };
  /** The process writing the DB, when a sweep is running now. */
  writer: { pid: number; host: string; since: string } | null;
  counts: Record<TrialState, number>;
  parameters: ParameterAxis[];
  trials: TrialRow[];
  /**
   * The sweep metric's validation curve per trial number (trials with no evaluation have none):
   * its values, and its steps as an index into `stepSets` (most trials share one list of steps).
   */
  curves: Record<number, { stepSet: number; values: (number | null)[] }>;
  stepSets: number[][];
  pruner: PrunerView | null;
  best: number | null;
  importance: { complete: ImportanceView; withPruned: ImportanceView };
  inputError: InputErrorView;
}

/** Everything on one trial's page. */
export interface TrialView {
  trial: TrialRow & { backend: string | null; metrics: Record<string, number | null> };
  /** Every recorded metric's curve by name (train_loss, lr, the sweep metric and its median/p90/max, …). */
  curves: Record<string, Curve>;
  /** The kept model's learned formula (`explain`), or why there is none. */
  formula: { ok: true; pred: string; rounded: string } | { ok: false; reason: string };
  /** A one-trial sweep file that re-runs this trial (same parameters, same weight seed) and the command. */
  rerun: { file: string; yaml: string; command: string };
}
