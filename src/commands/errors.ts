// The CLI's exit codes, and the error for bad flags and arguments (exit 2).
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_BAD_INPUT = 2;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parsePositiveInt(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} expects a whole number ≥ 1, got "${raw}"`);
  return value;
}
