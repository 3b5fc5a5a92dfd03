// A random forest of regression trees (CART, squared error), grown on bootstrap samples as
// scikit-learn's RandomForestRegressor does by default (all features considered at each split).
// Categorical features are split natively: the categories present are ordered by their mean
// target and the best prefix of that order goes left, which is the optimal binary partition for
// squared error (Breiman et al. 1984). Each tree is returned as its leaves: a box in feature space
// (an interval per numeric feature, a set of categories per categorical one) and a value, which is
// what fANOVA integrates over.
import { Rng } from '../rng.js';

export type FeatureDomain = { kind: 'numeric'; low: number; high: number } | { kind: 'categorical'; size: number };

export type Region = { kind: 'numeric'; low: number; high: number } | { kind: 'categorical'; members: readonly boolean[] };

export interface Leaf {
  value: number;
  /** One region per feature; the leaves of a tree tile the whole domain. */
  regions: Region[];
}

export interface ForestOptions {
  trees: number;
  seed: number;
  /** Nodes deeper than this become leaves. */
  maxDepth: number;
}

export const DEFAULT_FOREST: ForestOptions = { trees: 64, seed: 0, maxDepth: 64 };

/** Grows `trees` trees on bootstrap samples of the rows (x: one row per sample, categorical values as indices). */
export function growForest(x: readonly (readonly number[])[], y: readonly number[], domains: readonly FeatureDomain[], options: ForestOptions = DEFAULT_FOREST): Leaf[][] {
  const rng = new Rng(options.seed);
  const forest: Leaf[][] = [];
  for (let t = 0; t < options.trees; t++) {
    const sample = Array.from({ length: y.length }, () => rng.int(0, y.length - 1));
    forest.push(growTree(x, y, sample, domains, rng, options.maxDepth));
  }
  return forest;
}

export function growTree(
  x: readonly (readonly number[])[],
  y: readonly number[],
  rows: readonly number[],
  domains: readonly FeatureDomain[],
  rng: Rng,
  maxDepth: number,
): Leaf[] {
  const leaves: Leaf[] = [];
  const root: Region[] = domains.map((d) =>
    d.kind === 'numeric' ? { kind: 'numeric', low: d.low, high: d.high } : { kind: 'categorical', members: Array.from({ length: d.size }, () => true) },
  );
  const grow = (node: readonly number[], regions: Region[], depth: number) => {
    const split = depth < maxDepth && node.length >= 2 ? bestSplit(x, y, node, domains, rng) : undefined;
    if (!split) {
      leaves.push({ value: mean(node.map((i) => y[i]!)), regions });
      return;
    }
    const left = node.filter((i) => split.goesLeft(x[i]![split.feature]!));
    const right = node.filter((i) => !split.goesLeft(x[i]![split.feature]!));
    grow(left, regions.map((r, f) => (f === split.feature ? split.leftRegion(r) : r)), depth + 1);
    grow(right, regions.map((r, f) => (f === split.feature ? split.rightRegion(r) : r)), depth + 1);
  };
  grow(rows, root, 0);
  return leaves;
}

interface Split {
  feature: number;
  /** Sum of squared errors of the two children. */
  sse: number;
  goesLeft(value: number): boolean;
  leftRegion(region: Region): Region;
  rightRegion(region: Region): Region;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Squared error of a group from its count, sum and sum of squares. */
function sse(n: number, sum: number, sumSq: number): number {
  return n === 0 ? 0 : Math.max(0, sumSq - (sum * sum) / n);
}

function bestSplit(x: readonly (readonly number[])[], y: readonly number[], node: readonly number[], domains: readonly FeatureDomain[], rng: Rng): Split | undefined {
  let total = 0;
  let totalSq = 0;
  for (const i of node) {
    total += y[i]!;
    totalSq += y[i]! * y[i]!;
  }
  const parent = sse(node.length, total, totalSq);
  if (parent <= 1e-12 * Math.max(1, totalSq)) return undefined;
  // Features in a random order, so ties between equally good splits are broken at random.
  const order = domains.map((_, f) => f);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let best: Split | undefined;
  for (const f of order) {
    const domain = domains[f]!;
    const candidate = domain.kind === 'numeric' ? numericSplit(x, y, node, f) : categoricalSplit(x, y, node, f, domain.size);
    if (candidate && (!best || candidate.sse < best.sse - 1e-12 * parent)) best = candidate;
  }
  return best;
}

function numericSplit(x: readonly (readonly number[])[], y: readonly number[], node: readonly number[], f: number): Split | undefined {
  const sorted = [...node].sort((a, b) => x[a]![f]! - x[b]![f]!);
  let total = 0;
  let totalSq = 0;
  for (const i of sorted) {
    total += y[i]!;
    totalSq += y[i]! * y[i]!;
  }
  let leftSum = 0;
  let leftSq = 0;
  let best: { sse: number; threshold: number } | undefined;
  for (let k = 0; k < sorted.length - 1; k++) {
    const v = y[sorted[k]!]!;
    leftSum += v;
    leftSq += v * v;
    const here = x[sorted[k]!]![f]!;
    const next = x[sorted[k + 1]!]![f]!;
    if (next <= here) continue;
    const n = k + 1;
    const err = sse(n, leftSum, leftSq) + sse(sorted.length - n, total - leftSum, totalSq - leftSq);
    if (!best || err < best.sse) best = { sse: err, threshold: (here + next) / 2 };
  }
  if (!best) return undefined;
  const threshold = best.threshold;
  return {
    feature: f,
    sse: best.sse,
    goesLeft: (value) => value <= threshold,
    leftRegion: (r) => (r.kind === 'numeric' ? { kind: 'numeric', low: r.low, high: Math.min(r.high, threshold) } : r),
    rightRegion: (r) => (r.kind === 'numeric' ? { kind: 'numeric', low: Math.max(r.low, threshold), high: r.high } : r),
  };
}

function categoricalSplit(x: readonly (readonly number[])[], y: readonly number[], node: readonly number[], f: number, size: number): Split | undefined {
  const count = new Array<number>(size).fill(0);
  const sum = new Array<number>(size).fill(0);
  const sumSq = new Array<number>(size).fill(0);
  for (const i of node) {
    const c = x[i]![f]!;
    count[c]!++;
    sum[c]! += y[i]!;
    sumSq[c]! += y[i]! * y[i]!;
  }
  const present = count.map((n, c) => c).filter((c) => count[c]! > 0);
  if (present.length < 2) return undefined;
  present.sort((a, b) => sum[a]! / count[a]! - sum[b]! / count[b]! || a - b);
  const totals = present.reduce((acc, c) => ({ n: acc.n + count[c]!, s: acc.s + sum[c]!, q: acc.q + sumSq[c]! }), { n: 0, s: 0, q: 0 });
  let left = { n: 0, s: 0, q: 0 };
  let best: { sse: number; cut: number } | undefined;
  for (let k = 0; k < present.length - 1; k++) {
    const c = present[k]!;
    left = { n: left.n + count[c]!, s: left.s + sum[c]!, q: left.q + sumSq[c]! };
    const err = sse(left.n, left.s, left.q) + sse(totals.n - left.n, totals.s - left.s, totals.q - left.q);
    if (!best || err < best.sse) best = { sse: err, cut: k + 1 };
  }
  const leftSet = new Set(present.slice(0, best!.cut));
  const leftCount = present.slice(0, best!.cut).reduce((n, c) => n + count[c]!, 0);
  // Categories no sample of this node has still need a side, so that the leaves cover the whole
  // domain: they follow the larger child (the right one on a tie).
  const absentLeft = leftCount > node.length - leftCount;
  const isLeft = (c: number) => leftSet.has(c) || (count[c] === 0 && absentLeft);
  return {
    feature: f,
    sse: best!.sse,
    goesLeft: (value) => isLeft(value),
    leftRegion: (r) => (r.kind === 'categorical' ? { kind: 'categorical', members: r.members.map((m, c) => m && isLeft(c)) } : r),
    rightRegion: (r) => (r.kind === 'categorical' ? { kind: 'categorical', members: r.members.map((m, c) => m && !isLeft(c)) } : r),
  };
}
