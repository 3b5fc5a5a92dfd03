// The search space: each swept field (addressed by a dotted path) and its distribution, in the
// normalised form every planner understands (like Optuna's Categorical/Float/IntDistribution).

export type Distribution =
  | { type: 'categorical'; choices: readonly unknown[] }
  | { type: 'float'; low: number; high: number; log: boolean; step?: number }
  | { type: 'int'; low: number; high: number; log: boolean; step: number };

export interface Parameter {
  path: string;
  distribution: Distribution;
}

/** Parameter values of one trial: path -> value, in the order the parameters are declared. */
export type Params = Record<string, unknown>;

/** Largest grid we agree to enumerate from one numeric range. */
export const MAX_GRID_POINTS_PER_PARAMETER = 10_000;

/** The finite list of values a parameter takes in a grid, or a reason it has none. */
export function gridValues(distribution: Distribution): readonly unknown[] | string {
  switch (distribution.type) {
    case 'categorical':
      return distribution.choices;
    case 'int': {
      const count = Math.floor((distribution.high - distribution.low) / distribution.step) + 1;
      if (count > MAX_GRID_POINTS_PER_PARAMETER) return `its range has ${count} values, too many for a grid`;
      return Array.from({ length: count }, (_, i) => distribution.low + i * distribution.step);
    }
    case 'float': {
      if (distribution.step === undefined) {
        return 'a continuous distribution has no grid: give "values", or a "q" step, or use method: random';
      }
      const count = Math.floor((distribution.high - distribution.low) / distribution.step + 1e-9) + 1;
      if (count > MAX_GRID_POINTS_PER_PARAMETER) return `its range has ${count} values, too many for a grid`;
      return Array.from({ length: count }, (_, i) => roundToStep(distribution.low + i * distribution.step!, distribution.step!));
    }
  }
}

/** Snap to the step's own decimal precision so 0.1 * 3 prints as 0.3 in the DB. */
export function roundToStep(value: number, step: number): number {
  const decimals = Math.max(0, Math.min(15, -Math.floor(Math.log10(step)) + 2));
  return Number(value.toFixed(decimals));
}
