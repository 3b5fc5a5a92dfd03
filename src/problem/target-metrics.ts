// The per-sample metrics of a problem evaluated for each of its targets, and the aggregates a
// sweep file defines over the recorded values. The trainer's evaluation and `predict --check`
// both come here, so what predict reports is what the trial recorded.
import { metricKey, summaryKeys } from './targets.js';
import { summarize } from './summary.js';
import type { CompiledProblem } from './compile.js';
import type { MetricAggregate } from '../spec/types.js';

export interface TargetMetric {
  /** The recorded name: `rel_l1` (one unnamed target) or `rel_l1.y1`. */
  key: string;
  metric: string;
  target: string;
  values: Float64Array;
}

/**
 * Every per-sample metric for every target, metric by metric. `columns` holds the data columns
 * (variables, each target's target and scale); `preds` each target's prediction, in the problem's
 * target order. A metric sees its own target's `pred`, `target` and `scale`, and every target's
 * `pred.NAME`, `target.NAME`, `scale.NAME`.
 */
export function evaluateTargetMetrics(
  problem: CompiledProblem,
  columns: ReadonlyMap<string, Float64Array>,
  preds: readonly Float64Array[],
  n: number,
  /** Output buffers, one per result in order, filled in (and grown) here: an evaluation loop reuses them. */
  buffers?: Float64Array[],
): TargetMetric[] {
  const shared = new Map(columns);
  if (problem.namedTargets) problem.targets.forEach((t, i) => shared.set(t.columns.pred, preds[i]!));
  const views = problem.targets.map((t, i) => {
    if (!problem.namedTargets) {
      shared.set('pred', preds[i]!);
      return shared;
    }
    const view = new Map(shared);
    view.set('pred', preds[i]!);
    view.set('target', columns.get(t.columns.target)!);
    const scale = columns.get(t.columns.scale);
    if (scale) view.set('scale', scale);
    return view;
  });
  const out: TargetMetric[] = [];
  for (const [metric, compiled] of problem.metrics) {
    problem.targets.forEach((t, i) => {
      let buffer: Float64Array | undefined;
      if (buffers) {
        const at = out.length;
        if ((buffers[at]?.length ?? -1) < n) buffers[at] = new Float64Array(n);
        buffer = buffers[at];
      }
      out.push({ key: metricKey(metric, t.name, problem.namedTargets), metric, target: t.name, values: compiled.evaluate(views[i]!, n, buffer) });
    });
  }
  return out;
}

/**
 * Summaries of every target's metrics (mean under the key, then .median, .p90, .max), then the
 * aggregates. `inPlace`: the values are the caller's to drop, so they are sorted where they lie
 * instead of in a copy (the trainer's evaluation, where a copy per metric is garbage per eval).
 */
export function summarizeTargetMetrics(metrics: readonly TargetMetric[], aggregates: Record<string, MetricAggregate> | undefined, options: { inPlace?: boolean } = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { key, values } of metrics) {
    const summary = summarize(values, options);
    const [mean, median, p90, max] = summaryKeys(key) as [string, string, string, string];
    out[mean] = summary.mean;
    out[median] = summary.median;
    out[p90] = summary.p90;
    out[max] = summary.max;
  }
  Object.assign(out, aggregateValues(out, aggregates));
  return out;
}

/** Each aggregate's value: the max or mean of its members' recorded values (NaN when one is missing or NaN). */
export function aggregateValues(recorded: Readonly<Record<string, number>>, aggregates: Record<string, MetricAggregate> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, { op, of }] of Object.entries(aggregates ?? {})) {
    const values = of.map((member) => (Object.hasOwn(recorded, member) ? recorded[member]! : NaN));
    // Math.max propagates NaN, and so does the sum: a diverged target makes the aggregate diverge.
    out[name] = op === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length;
  }
  return out;
}
