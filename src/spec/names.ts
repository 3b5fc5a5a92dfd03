// The names a formula may use depends on where it stands; this module is the one place that says so.

/** Names the trainer binds itself; a variable may not take them. */
export const RESERVED_NAMES = ['net', 'pred', 'target', 'scale', 'pi', 'e'] as const;

export interface FormulaScopes {
  variables: readonly string[];
  hasScale: boolean;
}

/** Names usable in target, scale and features: the problem's variables. */
export function dataNames(scopes: FormulaScopes): string[] {
  return [...scopes.variables];
}

/** Names usable in the output head: the network's output `net`, the variables, and `scale`. */
export function headNames(scopes: FormulaScopes): string[] {
  return ['net', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables];
}

/** Names usable in a metric: the head's output `pred`, `target`, `scale` and the variables. */
export function metricNames(scopes: FormulaScopes): string[] {
  return ['pred', 'target', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables];
}

/** Names usable in the training loss: those of a metric plus the raw network output `net`. */
export function lossNames(scopes: FormulaScopes): string[] {
  return ['pred', 'net', 'target', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables];
}
