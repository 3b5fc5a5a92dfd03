// The validated, normalised sweep (what is stored in the DB and sent to workers) and the fully
// resolved configuration of one trial. Both are plain JSON.
import type { ModelSpec, TargetFileSpec, TrainDataSpec, TrainingSpec, VariableSpec } from './schema.js';
import type { DataSpec, DataValidationSpec } from '../data/problem-table.js';
import type { Parameter, Params } from '../search/space.js';
import type { TpeOptions } from '../search/tpe.js';
import type { EarlyTerminateSpec } from '../prune/options.js';

export interface SweepSpec {
  name: string;
  description?: string;
  method: 'grid' | 'random' | 'tpe';
  /** `target`: the sweep may stop once a complete trial reaches it (≤ for minimize, ≥ for maximize). */
  metric: { name: string; goal: 'minimize' | 'maximize'; target?: number };
  /** TPE's options with defaults applied; present exactly when method is tpe. */
  tpe?: TpeOptions;
  /** The pruner (`early_terminate`), normalised; absent: no pruning. */
  earlyTerminate?: EarlyTerminateSpec;
  /** Trials to run: for random and tpe the run_cap; for grid the grid's size (or run_cap when smaller). */
  trialCount: number;
  seed: number;
  parameters: Parameter[];
  /**
   * The problem with `metrics` filled in (a default relative or absolute L1 when the file has none):
   * the per-sample formulas; the aggregates the file defines are in `aggregates` (absent when none).
   */
  problem: ProblemSpec;
  features: Record<string, string[]>;
  /** model/training sections as written (defaults are applied per trial, after parameters). */
  model: Record<string, unknown>;
  training: Record<string, unknown>;
  /** `--steps N` from the command line, part of the sweep's identity. */
  stepsOverride?: number;
  /** `keep_models` when the file sets it (absent: the default, 5); left out otherwise so older sweeps keep their hash. */
  keepModels?: number | 'all';
  /** `pack` when the file sets it (absent: auto). How trials are computed, not what they compute: not part of the sweep's identity. */
  pack?: 'auto' | 'off' | number;
}

/** A metric computed from other recorded metrics (names already expanded: `rel_l1` → `rel_l1.y1`, `rel_l1.y2`, …). */
export interface MetricAggregate {
  op: 'max' | 'mean';
  of: string[];
}

/**
 * The normalised problem: sampled (variables) or given as data (`data`, and no variables). Exactly
 * one of `target` (the one-target shorthand) and `targets` (named targets) is present; a data
 * problem that writes neither gets `target: COLUMN` (one target column) or `targets: {COLUMN: COLUMN, …}`.
 */
export interface ProblemSpec {
  /** The sampled variables, in declaration order; empty for a data problem. */
  variables: Record<string, VariableSpec>;
  /** A data problem's table: its file's identity, columns, row counts and input ranges. */
  data?: DataSpec;
  target?: string;
  targets?: Record<string, TargetFileSpec>;
  scale?: string;
  metrics: Record<string, string>;
  aggregates?: Record<string, MetricAggregate>;
  train: TrainDataSpec;
  validation: SampledValidationSpec | DataValidationSpec;
}

export interface SampledValidationSpec {
  seed: number;
  size: number;
}

export type TrialTraining = Omit<TrainingSpec, 'loss' | 'eval_every' | 'seed'> & {
  /** One formula for every target, or (several targets) a map target name → formula. */
  loss: string | Record<string, string>;
  eval_every: number;
  seed: number;
};

export interface TrialConfig {
  number: number;
  params: Params;
  /** Name of the feature set, and its formulas. */
  features: string;
  featureFormulas: string[];
  model: ModelSpec & { activation: ModelSpec['activation'] };
  training: TrialTraining;
  /** The training data (sweepable); the validation set is the sweep's, the same for every trial. */
  train: TrainDataSpec;
}
