// The CLI's exit codes, and the error for bad flags and arguments (exit 2).
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_BAD_INPUT = 2;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A plain decimal number (1e3 allowed): no hex, no binary, no blanks, which Number() would also take. */
const DECIMAL = /^\s*\+?(\d+\.?\d*|\.\d+)([eE]\+?\d+)?\s*$/;

/** A whole number ≥ 1 and at most `max` (by default the largest integer a float64 holds exactly). */
export function parsePositiveInt(flag: string, raw: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!DECIMAL.test(raw) || !Number.isInteger(value) || value < 1) throw new UsageError(`${flag} expects a whole number ≥ 1, got "${raw}"`);
  if (value > max) throw new UsageError(`${flag} expects a whole number from 1 to ${max}, got "${raw}"`);
  return value;
}
