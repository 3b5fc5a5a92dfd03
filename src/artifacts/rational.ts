// Simple rationals for learned exponents: 2, -1, 1/2, -2/3 … A coefficient is rounded only when it
// lies within a tolerance of p/q with a small denominator; otherwise it stays as learned.

export interface Rational {
  p: number;
  q: number;
}

/** How close a learned value must be to p/q to be rounded to it. */
export const ROUND_TOLERANCE = 1e-3;
/** The largest denominator tried. */
export const MAX_DENOMINATOR = 12;

/** The simple rational nearest to `value` within the tolerance, smallest denominator first; undefined when none is. */
export function simpleRational(value: number, tolerance = ROUND_TOLERANCE, maxDenominator = MAX_DENOMINATOR): Rational | undefined {
  if (!Number.isFinite(value)) return undefined;
  for (let q = 1; q <= maxDenominator; q++) {
    const p = Math.round(value * q);
    // Only fractions in lowest terms: 2/4 was already tried as 1/2.
    if (gcd(Math.abs(p), q) !== 1) continue;
    if (Math.abs(value - p / q) <= tolerance) return { p, q };
  }
  return undefined;
}

export function rationalValue(r: Rational): number {
  return r.p / r.q;
}

export function formatRational(r: Rational): string {
  return r.q === 1 ? String(r.p) : `${r.p}/${r.q}`;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
