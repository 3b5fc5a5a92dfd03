// The targets of a problem, and the names that follow from them. A problem has one target
// (`problem.target`, the shorthand every single-equation sweep uses) or several (`problem.targets`,
// a map name → formula or {formula, scale}). With one target nothing is renamed: its data columns
// are `target` and `scale`, its metrics `rel_l1`, `rel_l1.median`, …, exactly as before targets
// existed. With several, every per-target thing carries the target's name: the data columns
// `target.y1`, `scale.y1`, the prediction `pred.y1`, the metrics `rel_l1.y1`, `rel_l1.y1.median`.
import type { TargetFileSpec } from '../spec/schema.js';

/** The one target of the `target:` shorthand is called this (in the model's output names and messages). */
export const SINGLE_TARGET = 'target';

/** Summaries recorded for every per-sample metric, after its mean (which has no suffix). */
export const METRIC_SUMMARIES = ['median', 'p90', 'max'] as const;

export interface TargetDefinition {
  name: string;
  formula: string;
  /** This target's scale formula: its own, else the problem's `scale`, else none. */
  scale?: string;
}

/** The fields of a problem (as written, or normalised) that say what its targets are. */
type TargetsField = { target?: string | undefined; targets?: Record<string, TargetFileSpec> | undefined; scale?: string | undefined };

/** True when the problem names its targets (`problem.targets`), even just one. */
export function hasNamedTargets(problem: TargetsField): boolean {
  return problem.targets !== undefined;
}

/** The problem's targets in declaration order. */
export function targetsOf(problem: TargetsField): TargetDefinition[] {
  if (problem.targets === undefined) {
    return [{ name: SINGLE_TARGET, formula: problem.target ?? '', ...(problem.scale !== undefined ? { scale: problem.scale } : {}) }];
  }
  return Object.entries(problem.targets).map(([name, value]) => {
    const formula = typeof value === 'string' ? value : value.formula;
    const scale = typeof value === 'string' ? problem.scale : (value.scale ?? problem.scale);
    return { name, formula, ...(scale !== undefined ? { scale } : {}) };
  });
}

/**
 * How one target's own names (`target`, `scale`, `pred`) and the cross-target names
 * (`target.NAME`, `scale.NAME`, `pred.NAME`) map to data columns. With one unnamed target the
 * columns keep their plain names.
 */
export interface TargetColumns {
  target: string;
  scale: string;
  pred: string;
}

export function columnsOf(targetName: string, named: boolean): TargetColumns {
  return named
    ? { target: `target.${targetName}`, scale: `scale.${targetName}`, pred: `pred.${targetName}` }
    : { target: 'target', scale: 'scale', pred: 'pred' };
}

/** The recorded name of a per-sample metric for one target: `rel_l1` (one unnamed target) or `rel_l1.y1`. */
export function metricKey(metric: string, targetName: string, named: boolean): string {
  return named ? `${metric}.${targetName}` : metric;
}

/** Every name a per-sample metric is recorded under for one target: the mean, then its summaries. */
export function summaryKeys(key: string): string[] {
  return [key, ...METRIC_SUMMARIES.map((s) => `${key}.${s}`)];
}

/** Every target's mean of every per-sample metric (`rel_l1.y1`, `rel_l1.y2`, …): what tables show beside the sweep metric. */
export function perTargetMetricKeys(problem: TargetsField & { metrics: Record<string, string> }): string[] {
  const named = hasNamedTargets(problem);
  return Object.keys(problem.metrics).flatMap((m) => targetsOf(problem).map((t) => metricKey(m, t.name, named)));
}
