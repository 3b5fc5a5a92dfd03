// The names a formula may use depends on where it stands; this module is the one place that says so.

/** Names the trainer binds itself; a variable may not take them. */
export const RESERVED_NAMES = ['net', 'pred', 'target', 'scale', 'pi', 'e'] as const;

export interface FormulaScopes {
  /** The inputs: a sampled problem's variables, or a data problem's input columns. */
  variables: readonly string[];
  hasScale: boolean;
  /** A data problem's target columns: the target formula, metrics and losses may read them. */
  targetColumns?: readonly string[];
}

/** The names features and predictions read: the variables, or a data problem's input columns. */
export function inputNames(problem: { variables: Record<string, unknown>; data?: { inputs: readonly string[] } | undefined }): string[] {
  return problem.data ? [...problem.data.inputs] : Object.keys(problem.variables);
}

/** Names usable in `target`: the inputs and, in a data problem, its target columns (a target may be a formula of them). */
export function targetNames(scopes: FormulaScopes): string[] {
  return [...scopes.variables, ...(scopes.targetColumns ?? [])];
}

/** Names usable in scale and features (and, in a sampled problem, target): the inputs. */
export function dataNames(scopes: FormulaScopes): string[] {
  return [...scopes.variables];
}

/** Names usable in the output head: the network's output `net`, the variables, and `scale`. */
export function headNames(scopes: FormulaScopes): string[] {
  return ['net', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables];
}

/** Names usable in a metric: the head's output `pred`, `target`, `scale` and the variables. */
export function metricNames(scopes: FormulaScopes): string[] {
  return ['pred', 'target', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables, ...(scopes.targetColumns ?? [])];
}

/** Names usable in the training loss: those of a metric plus the raw network output `net`. */
export function lossNames(scopes: FormulaScopes): string[] {
  return ['pred', 'net', 'target', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables, ...(scopes.targetColumns ?? [])];
}
