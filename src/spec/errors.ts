// Errors in a sweep file are values: where (file, line:column, field path) and what was expected.
// The CLI turns them into one message and exit code 2; nothing else prints them.

export interface SpecLocation {
  line: number; // 1-based
  col: number; // 1-based
}

export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly fieldPath: string | undefined,
    readonly location: SpecLocation | undefined,
    readonly problem: string,
  ) {
    super(formatSpecError(file, fieldPath, location, problem));
    this.name = 'SpecError';
  }
}

function formatSpecError(
  file: string,
  fieldPath: string | undefined,
  location: SpecLocation | undefined,
  problem: string,
): string {
  const where = location ? `${file}:${location.line}:${location.col}` : file;
  return fieldPath ? `${where}: ${fieldPath}: ${problem}` : `${where}: ${problem}`;
}

/** Render a value for an error message: short, JSON-ish, never huge. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'a mapping';
}
