// Normal-distribution arithmetic for TPE's truncated Gaussian kernels: log densities, log masses of
// intervals (kept in log space, so a kernel far from a point gives a very negative number, not 0),
// and seeded draws from a truncated normal.
import type { Rng } from '../rng.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT1_2 = Math.SQRT1_2;

/**
 * log(erfc(x)) for x ≥ 0, from the Chebyshev fit of Press et al. (Numerical Recipes, erfcc):
 * fractional error below 1.2e-7 for every x, and no underflow because it stays in log space.
 */
function logErfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** log of the standard normal's upper tail, log P(Z > z), for z ≥ 0. */
function logUpperTail(z: number): number {
  return Math.log(0.5) + logErfcNonNegative(z * SQRT1_2);
}

/** P(Z > z) for any z. */
function upperTail(z: number): number {
  return z >= 0 ? Math.exp(logUpperTail(z)) : 1 - Math.exp(logUpperTail(-z));
}

/** log of the standard normal density at z. */
export function logStdNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** Below this width (in standard deviations) an interval's mass is its midpoint density times its width (error O(width²)). */
const NARROW = 1e-3;

/** log P(a < Z < b) for the standard normal, a < b, accurate far into the tails. */
export function logStdNormalMass(a: number, b: number): number {
  if (!(b > a)) return -Infinity;
  if (b - a < NARROW) return logStdNormalPdf((a + b) / 2) + Math.log(b - a);
  if (a >= 0) {
    // Both in the upper tail: Q(a) − Q(b) = Q(a)·(1 − Q(b)/Q(a)).
    const la = logUpperTail(a);
    const lb = b === Infinity ? -Infinity : logUpperTail(b);
    return la + Math.log1p(-Math.exp(lb - la));
  }
  if (b <= 0) return logStdNormalMass(-b, -a);
  // Straddles 0: 1 − Q(−a) − Q(b), never small.
  return Math.log(1 - upperTail(-a) - upperTail(b));
}

/** log of the density at x of N(mu, sigma²) truncated to [low, high]; logMass is logStdNormalMass of the bounds. */
export function logTruncNormalPdf(x: number, mu: number, sigma: number, logMass: number): number {
  return logStdNormalPdf((x - mu) / sigma) - Math.log(sigma) - logMass;
}

/**
 * A draw from N(mu, sigma²) truncated to [low, high], by rejection. TPE's kernels are centred
 * inside the interval with sigma at most its width, so at least a third of the draws land inside;
 * the cap only guards against a degenerate kernel.
 */
export function sampleTruncNormal(rng: Rng, mu: number, sigma: number, low: number, high: number): number {
  for (let i = 0; i < 1000; i++) {
    const x = mu + sigma * rng.normal();
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, mu));
}

/** log(Σ exp(values)), stable. */
export function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}
