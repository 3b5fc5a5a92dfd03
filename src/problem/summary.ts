// Summary statistics of a per-sample metric over the held-out set: mean (the sweep metric),
// median, p90 and max. Non-finite samples make the mean non-finite, on purpose: a model that
// blows up on some inputs must not look good.

export interface MetricSummary {
  mean: number;
  median: number;
  p90: number;
  max: number;
}

/** `inPlace`: sort `values` itself (the caller no longer needs their order) instead of a copy. */
export function summarize(values: Float64Array, options: { inPlace?: boolean } = {}): MetricSummary {
  const n = values.length;
  if (n === 0) return { mean: NaN, median: NaN, p90: NaN, max: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const sorted = (options.inPlace ? values : Float64Array.from(values)).sort(); // NaN sorts last
  return { mean: sum / n, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted[n - 1]! };
}

/** Linear interpolation between closest ranks (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower]!;
  const b = sorted[upper]!;
  return lower === upper ? a : a + (b - a) * (position - lower);
}
