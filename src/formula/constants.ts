// Named mathematical constants a formula may use like variables.

export type ConstantName = 'pi' | 'e';

/** `pi` and `e`. Null-prototype and frozen, so `name in FORMULA_CONSTANTS` is true only for these names. */
export const FORMULA_CONSTANTS: Readonly<Record<ConstantName, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<ConstantName, number>, { pi: Math.PI, e: Math.E }),
);

/** The constant's value, or undefined when `name` is not a constant. */
export function lookupConstant(name: string): number | undefined {
  return Object.hasOwn(FORMULA_CONSTANTS, name) ? FORMULA_CONSTANTS[name as ConstantName] : undefined;
}
