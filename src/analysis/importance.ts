// Parameter importance: which swept parameters explain the sweep metric, as Optuna's default
// FanovaImportanceEvaluator computes it. A random forest (64 trees) is fit to the complete
// trials' parameters → metric; fANOVA gives each tree's main-effect variance share per
// parameter; the shares are averaged over the trees and normalised to sum to 1.
//
// Parameters are seen on the scale they are searched on: log-scale ones as their logarithm,
// categorical ones as categories (split natively, no one-hot columns). The target is the metric,
// or its log10 when every value is positive and they span more than a decade (errors like rel_l1
// do, and on the raw scale a few terrible trials would be all the variance there is).
// Pure: the `importance` command and the dashboard both call it.
import type { Parameter, Params } from '../search/space.js';
import { tpeSpace } from '../search/tpe-space.js';
import { DEFAULT_FOREST, growForest, type FeatureDomain, type ForestOptions } from './forest.js';
import { mainEffectShares } from './fanova.js';

/** Fewer complete trials than this and the forest would mostly fit noise. */
export const MIN_IMPORTANCE_TRIALS = 10;

export interface ImportanceTrial {
  params: Params;
  value: number;
}

export interface ParameterImportance {
  parameter: string;
  /** Share of the importance, summing to 1 over the parameters. */
  importance: number;
  /** Main-effect variance as a fraction of the metric's variance in the forest (before normalising). */
  varianceFraction: number;
}

export type ImportanceResult =
  | {
      ok: true;
      /** How it was computed, in words (for output). */
      method: string;
      trials: number;
      target: 'value' | 'log10';
      /** Best first. */
      importances: ParameterImportance[];
      /** Σ varianceFraction: the share of the variance main effects explain; the rest is interactions. */
      mainEffects: number;
    }
  | { ok: false; reason: string };

export function parameterImportance(
  parameters: readonly Parameter[],
  trials: readonly ImportanceTrial[],
  options: Partial<ForestOptions> & { minTrials?: number } = {},
): ImportanceResult {
  const forestOptions: ForestOptions = { ...DEFAULT_FOREST, ...options };
  const minTrials = options.minTrials ?? MIN_IMPORTANCE_TRIALS;
  const { dims } = tpeSpace(parameters);
  if (dims.length === 0) return { ok: false, reason: 'the sweep has no parameter with more than one value, so there is nothing to rank' };

  const rows: number[][] = [];
  const values: number[] = [];
  for (const trial of trials) {
    if (!Number.isFinite(trial.value)) continue;
    const row = dims.map((d) => d.encode(trial.params[d.path]));
    if (row.some((v) => v === undefined)) continue;
    rows.push(row as number[]);
    values.push(trial.value);
  }
  if (rows.length < minTrials) {
    return { ok: false, reason: `parameter importance needs at least ${minTrials} complete trials; there ${rows.length === 1 ? 'is' : 'are'} ${rows.length}` };
  }
  const useLog = values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) > 10;
  const target = useLog ? values.map((v) => Math.log10(v)) : values;
  if (Math.max(...target) === Math.min(...target)) return { ok: false, reason: 'every complete trial has the same metric value, so no parameter explains anything' };

  const domains: FeatureDomain[] = dims.map((d) =>
    d.kernel.kind === 'categorical' ? { kind: 'categorical', size: d.kernel.size } : { kind: 'numeric', low: d.kernel.low, high: d.kernel.high },
  );
  const clamped = rows.map((row) => row.map((v, f) => {
    const domain = domains[f]!;
    return domain.kind === 'numeric' ? Math.min(domain.high, Math.max(domain.low, v)) : v;
  }));
  const forest = growForest(clamped, target, domains, forestOptions);
  const shares = forest.map((tree) => mainEffectShares(tree, domains)).filter((s): s is number[] => s !== null);
  const averaged = dims.map((_, f) => (shares.length ? shares.reduce((acc, s) => acc + s[f]!, 0) / shares.length : 0));
  const sum = averaged.reduce((a, b) => a + b, 0);
  const importances = dims
    .map((d, f) => ({ parameter: d.path, importance: sum > 0 ? averaged[f]! / sum : 0, varianceFraction: averaged[f]! }))
    .sort((a, b) => b.importance - a.importance);
  return {
    ok: true,
    method: `fANOVA main effects on a random forest of ${forestOptions.trees} trees (as Optuna's FanovaImportanceEvaluator)`,
    trials: rows.length,
    target: useLog ? 'log10' : 'value',
    importances,
    mainEffects: sum,
  };
}
