// Planners decide each trial's parameters (ask); they never train. Grid and random are pure
// functions of the trial number, so a continued sweep asks again and gets the same answer.
import { Rng, deriveSeed } from '../rng.js';
import { gridValues, type Parameter, type Params } from './space.js';
import { sampleDistribution } from './sample.js';

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
  method: 'grid' | 'random';
  parameters: Parameter[];
  trialCount: number;
  seed: number;
}

export function makePlanner(spec: PlanSpec): Planner {
  return spec.method === 'grid' ? gridPlanner(spec) : randomPlanner(spec);
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
