// Planners decide each trial's parameters (ask); they never train. Grid and random are pure
// functions of the trial number, so a continued sweep asks again and gets the same answer.
// TPE (tpe.ts) also reads the history, and is a pure function of the trial number and the history.
import { Rng, deriveSeed } from '../rng.js';
import { gridValues, type Parameter, type Params } from './space.js';
import { sampleDistribution } from './sample.js';
import { DEFAULT_TPE_OPTIONS, tpePlanner, type TpeOptions } from './tpe.js';

/**
 * What a planner sees of another trial: every trial of the sweep that has started, read from the
 * DB (finished ones) and the orchestrator (running ones). Queued trials are not included.
 */
export interface TrialRecord {
  number: number;
  params: Params;
  state: 'running' | 'complete' | 'pruned' | 'failed';
  /**
   * complete: the sweep metric; pruned: its value at the step it was pruned; running: its latest
   * evaluation, or null before the first; failed: null.
   */
  value: number | null;
  /** The last step with an evaluation (null before the first). */
  step: number | null;
}

export interface Planner {
  /** How many trials the plan holds. */
  readonly total: number;
  /**
   * Parameters for trial `number`, given every other trial that has started (adaptive planners
   * use it). Deterministic: the same number and history give the same parameters.
   */
  ask(number: number, history: readonly TrialRecord[]): Params;
}

export interface PlanSpec {
  method: 'grid' | 'random' | 'tpe';
  parameters: Parameter[];
  trialCount: number;
  seed: number;
  /** TPE's options (defaults when absent) and the goal it optimises (minimize when absent). */
  tpe?: TpeOptions;
  metric?: { goal: 'minimize' | 'maximize' };
}

export function makePlanner(spec: PlanSpec): Planner {
  switch (spec.method) {
    case 'grid':
      return gridPlanner(spec);
    case 'random':
      return randomPlanner(spec);
    case 'tpe':
      return tpePlanner({
        parameters: spec.parameters,
        trialCount: spec.trialCount,
        seed: spec.seed,
        goal: spec.metric?.goal ?? 'minimize',
        options: spec.tpe ?? DEFAULT_TPE_OPTIONS,
      });
  }
}

/** Row-major over the parameters as declared: the last parameter varies fastest. */
function gridPlanner(spec: PlanSpec): Planner {
  const axes = spec.parameters.map((p) => ({ path: p.path, values: gridValues(p.distribution) as readonly unknown[] }));
  return {
    total: spec.trialCount,
    ask(number) {
      const params: Params = {};
      let rest = number;
      for (let i = axes.length - 1; i >= 0; i--) {
        const axis = axes[i]!;
        params[axis.path] = axis.values[rest % axis.values.length];
        rest = Math.floor(rest / axis.values.length);
      }
      return Object.fromEntries(axes.map((a) => [a.path, params[a.path]]));
    },
  };
}

function randomPlanner(spec: PlanSpec): Planner {
  return {
    total: spec.trialCount,
    ask(number) {
      const rng = new Rng(deriveSeed(spec.seed, 'params', number));
      return Object.fromEntries(spec.parameters.map((p) => [p.path, sampleDistribution(p.distribution, rng)]));
    },
  };
}
