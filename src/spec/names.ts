// The names a formula may use depends on where it stands; this module is the one place that says so.

/** Names the trainer binds itself; a variable may not take them. */
export const RESERVED_NAMES = ['net', 'pred', 'target', 'scale', 'pi', 'e'] as const;

export interface FormulaScopes {
  /** The inputs: a sampled problem's variables, or a data problem's input columns. */
  variables: readonly string[];
  /** Whether `scale` is defined (for one target: that target's scale). */
  hasScale: boolean;
  /** Several (named) targets: every target, for the cross-target names `pred.NAME`, `target.NAME`, `scale.NAME`. */
  targets?: readonly { name: string; hasScale: boolean }[];
  /** A data problem's target columns: the target formula, metrics and losses may read them. */
  targetColumns?: readonly string[];
}

/** `pred.NAME`, `target.NAME`, `scale.NAME` (where NAME has a scale): any target's values, in a metric or a loss. */
function crossTargetNames(scopes: FormulaScopes, withNet: boolean): string[] {
  return (scopes.targets ?? []).flatMap((t) => [
    `pred.${t.name}`,
    `target.${t.name}`,
    ...(t.hasScale ? [`scale.${t.name}`] : []),
    ...(withNet ? [`net.${t.name}`] : []),
  ]);
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

/** Names usable in a metric: the head's output `pred`, `target`, `scale`, the variables (and, several targets, any target's `pred.NAME`, `target.NAME`, `scale.NAME`). */
export function metricNames(scopes: FormulaScopes): string[] {
  return ['pred', 'target', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables, ...(scopes.targetColumns ?? []), ...crossTargetNames(scopes, false)];
}

/** Names usable in the training loss: those of a metric plus the raw network output `net` (and `net.NAME`). */
export function lossNames(scopes: FormulaScopes): string[] {
  return ['pred', 'net', 'target', ...(scopes.hasScale ? ['scale'] : []), ...scopes.variables, ...(scopes.targetColumns ?? []), ...crossTargetNames(scopes, true)];
}
