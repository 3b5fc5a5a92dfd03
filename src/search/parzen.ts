// A Parzen estimator, the density model of TPE: a weighted mixture with one kernel per observed
// trial plus a broad prior kernel. Each kernel is a product over the dimensions of a truncated
// Gaussian (numeric) or a smoothed one-hot distribution (categorical). Bandwidths follow Optuna's
// TPESampler: neighbour distances (univariate) or a Scott-like rule (multivariate), clipped from
// below by the "magic clip" so that kernels never collapse onto one point.
import type { Rng } from '../rng.js';
import { logStdNormalMass, logSumExp, logTruncNormalPdf, sampleTruncNormal } from './gaussian.js';
import type { KernelDim } from './tpe-space.js';

export interface ParzenSettings {
  /** Weight of the prior kernel, relative to an observation's (Optuna: 1). */
  priorWeight: number;
  /** Joint kernels over all dimensions (true) or one dimension at a time (false). */
  multivariate: boolean;
  /** Number of dimensions of the whole search space (the multivariate bandwidth shrinks slower in more dimensions). */
  spaceDims: number;
}

/** Per dimension, what every kernel (observations first, the prior last) holds. */
type DimKernels =
  | { kind: 'numeric'; low: number; high: number; step?: number; mus: number[]; sigmas: number[]; logMass: number[] }
  | { kind: 'categorical'; logProbs: number[][] };

export class ParzenEstimator {
  private readonly logWeights: number[];
  private readonly weights: number[];
  private readonly dims: DimKernels[];

  /**
   * @param observations one row per observed trial (kernel-space values, one per dimension)
   * @param observationWeights one weight per row (Optuna ramps down old trials)
   */
  constructor(dims: readonly KernelDim[], observations: readonly (readonly number[])[], observationWeights: readonly number[], settings: ParzenSettings) {
    const n = observations.length;
    const raw = [...observationWeights.slice(0, n), settings.priorWeight];
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / total);
    this.logWeights = this.weights.map((w) => Math.log(w));
    this.dims = dims.map((dim, d) =>
      dim.kind === 'categorical'
        ? categoricalKernels(dim.size, observations.map((row) => row[d]!), settings.priorWeight)
        : numericKernels(dim, observations.map((row) => row[d]!), settings),
    );
  }

  /** `count` points drawn from the mixture: pick a kernel by weight, then draw each dimension from it. */
  sample(rng: Rng, count: number): number[][] {
    const points: number[][] = [];
    for (let i = 0; i < count; i++) {
      const k = pickIndex(rng, this.weights);
      points.push(this.dims.map((dim) => sampleKernel(rng, dim, k)));
    }
    return points;
  }

  /** log density (numeric dimensions) times probability (categorical and stepped ones) of a point. */
  logPdf(point: readonly number[]): number {
    const perKernel = this.logWeights.map((lw, k) => {
      let sum = lw;
      for (let d = 0; d < this.dims.length; d++) sum += logKernel(this.dims[d]!, k, point[d]!);
      return sum;
    });
    return logSumExp(perKernel);
  }
}

/** Optuna's default weights: equal for the 25 most recent observations, ramping down linearly to 1/n for older ones. */
export function rampWeights(n: number): number[] {
  if (n < 25) return Array.from({ length: n }, () => 1);
  const ramp = n - 25;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i++) weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) weights.push(1);
  return weights;
}

function categoricalKernels(size: number, observed: number[], priorWeight: number): DimKernels {
  // Each observation's kernel puts 1 on its choice on top of a prior_weight/(n+1) floor on every choice.
  const floor = priorWeight / (observed.length + 1);
  const logProbs = observed.map((choice) => {
    const probs = Array.from({ length: size }, (_, c) => floor + (c === choice ? 1 : 0));
    const sum = probs.reduce((a, b) => a + b, 0);
    return probs.map((p) => Math.log(p / sum));
  });
  logProbs.push(Array.from({ length: size }, () => -Math.log(size)));
  return { kind: 'categorical', logProbs };
}

function numericKernels(dim: Extract<KernelDim, { kind: 'numeric' }>, mus: number[], settings: ParzenSettings): DimKernels {
  const half = dim.step === undefined ? 0 : dim.step / 2;
  const lo = dim.low - half;
  const hi = dim.high + half;
  const width = hi - lo;
  const sigmas = bandwidths(mus, lo, hi, settings);
  const allMus = [...mus, (lo + hi) / 2];
  const allSigmas = [...sigmas, width];
  const logMass = allMus.map((mu, k) => logStdNormalMass((lo - mu) / allSigmas[k]!, (hi - mu) / allSigmas[k]!));
  return { kind: 'numeric', low: dim.low, high: dim.high, ...(dim.step !== undefined ? { step: dim.step } : {}), mus: allMus, sigmas: allSigmas, logMass };
}

/** The observations' kernel widths on [lo, hi] (the prior's is always hi − lo). */
export function bandwidths(mus: readonly number[], lo: number, hi: number, settings: Pick<ParzenSettings, 'multivariate' | 'spaceDims'>): number[] {
  const width = hi - lo;
  const n = mus.length;
  const raw = settings.multivariate
    ? mus.map(() => 0.2 * Math.max(n, 1) ** (-1 / (settings.spaceDims + 4)) * width)
    : neighbourBandwidths(mus, lo, hi);
  // The magic clip: no kernel narrower than width / min(100, n + 2), none wider than the range.
  const minSigma = width / Math.min(100, n + 2);
  return raw.map((s) => Math.min(width, Math.max(minSigma, s)));
}

/**
 * Univariate bandwidths: each kernel is as wide as the larger gap to its neighbours (the prior's
 * centre counts as a neighbour). The outermost kernels ignore the interval's ends and use their
 * inner gap only (Optuna's consider_endpoints = false).
 */
function neighbourBandwidths(mus: readonly number[], lo: number, hi: number): number[] {
  const withPrior = [...mus, (lo + hi) / 2];
  const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a]! - withPrior[b]! || a - b);
  const sorted = [lo, ...order.map((i) => withPrior[i]!), hi];
  const m = order.length;
  const bySorted = order.map((_, j) => Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!));
  if (m >= 2) {
    bySorted[0] = sorted[2]! - sorted[1]!;
    bySorted[m - 1] = sorted[m]! - sorted[m - 1]!;
  }
  const sigmas = new Array<number>(m);
  order.forEach((i, j) => (sigmas[i] = bySorted[j]!));
  return sigmas.slice(0, mus.length);
}

function pickIndex(rng: Rng, weights: readonly number[]): number {
  let u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

function sampleKernel(rng: Rng, dim: DimKernels, k: number): number {
  if (dim.kind === 'categorical') return pickIndex(rng, dim.logProbs[k]!.map(Math.exp));
  const half = dim.step === undefined ? 0 : dim.step / 2;
  const x = sampleTruncNormal(rng, dim.mus[k]!, dim.sigmas[k]!, dim.low - half, dim.high + half);
  if (dim.step === undefined) return x;
  return Math.min(dim.high, Math.max(dim.low, dim.low + Math.round((x - dim.low) / dim.step) * dim.step));
}

function logKernel(dim: DimKernels, k: number, x: number): number {
  if (dim.kind === 'categorical') return dim.logProbs[k]![x] ?? -Infinity;
  const mu = dim.mus[k]!;
  const sigma = dim.sigmas[k]!;
  if (dim.step === undefined) return logTruncNormalPdf(x, mu, sigma, dim.logMass[k]!);
  // A stepped value's probability is the mass of its bin.
  const half = dim.step / 2;
  return logStdNormalMass((x - half - mu) / sigma, (x + half - mu) / sigma) - dim.logMass[k]!;
}
