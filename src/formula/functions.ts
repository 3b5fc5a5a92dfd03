// The one table of functions a formula may call: arity, float64 implementation and tfjs implementation.
import type * as tfc from '@tensorflow/tfjs-core';

export type FunctionName =
  | 'log' | 'ln' | 'log10' | 'log2' | 'log1p' | 'exp' | 'expm1' | 'sqrt' | 'square' | 'abs' | 'sign'
  | 'min' | 'max' | 'pow' | 'sin' | 'cos' | 'tan' | 'tanh' | 'sigmoid' | 'softplus' | 'clip';

/** A tfjs argument: a tensor, or a plain number when the argument is a constant (folded at compile time). */
export type TfOperand = tfc.Tensor | number;

export interface FormulaFunction {
  name: FunctionName;
  minArgs: number;
  /** `Infinity` for functions taking any number of arguments from `minArgs` up. */
  maxArgs: number;
  /** Value on one row. For variadic functions this is the binary form, folded left over the arguments. */
  f64: (...args: number[]) => number;
  /** Differentiable tfjs ops over the arguments. */
  tf: (tf: typeof tfc, args: readonly TfOperand[]) => tfc.Tensor;
}

function unary(
  name: FunctionName,
  f64: (x: number) => number,
  tf: (tf: typeof tfc, x: TfOperand) => tfc.Tensor,
): FormulaFunction {
  return { name, minArgs: 1, maxArgs: 1, f64, tf: (tf_, args) => tf(tf_, args[0]!) };
}

function foldTf(args: readonly TfOperand[], pair: (a: TfOperand, b: TfOperand) => tfc.Tensor): tfc.Tensor {
  let result = pair(args[0]!, args[1]!);
  for (let i = 2; i < args.length; i++) result = pair(result, args[i]!);
  return result;
}

/** Numerically stable log(1 + e^x): never overflows for large x. */
function softplus64(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^-x) without overflowing e^-x for very negative x. */
function sigmoid64(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const ex = Math.exp(x);
  return ex / (1 + ex);
}

/** `base ^ exponent` as tfjs ops; common literal exponents use cheaper, better-conditioned ops. */
export function tfPower(tf: typeof tfc, base: TfOperand, exponent: TfOperand): tfc.Tensor {
  if (exponent === 2) return tf.square(base);
  if (exponent === 0.5) return tf.sqrt(base);
  if (exponent === -1) return tf.reciprocal(base);
  return tf.pow(base, exponent);
}

/** clip(x, lo, hi) = min(max(x, lo), hi); clipByValue needs literal bounds with lo <= hi. */
function tfClip(tf: typeof tfc, x: TfOperand, lo: TfOperand, hi: TfOperand): tfc.Tensor {
  if (typeof lo === 'number' && typeof hi === 'number' && lo <= hi) return tf.clipByValue(x, lo, hi);
  return tf.minimum(tf.maximum(x, lo), hi);
}

const log = (tf: typeof tfc, x: TfOperand): tfc.Tensor => tf.log(x);

const DEFINITIONS: readonly FormulaFunction[] = [
  unary('log', Math.log, log),
  unary('ln', Math.log, log),
  unary('log10', Math.log10, (tf, x) => tf.div(tf.log(x), Math.LN10)),
  unary('log2', Math.log2, (tf, x) => tf.div(tf.log(x), Math.LN2)),
  unary('log1p', Math.log1p, (tf, x) => tf.log1p(x)),
  unary('exp', Math.exp, (tf, x) => tf.exp(x)),
  unary('expm1', Math.expm1, (tf, x) => tf.expm1(x)),
  unary('sqrt', Math.sqrt, (tf, x) => tf.sqrt(x)),
  unary('square', (x) => x * x, (tf, x) => tf.square(x)),
  unary('abs', Math.abs, (tf, x) => tf.abs(x)),
  unary('sign', Math.sign, (tf, x) => tf.sign(x)),
  unary('sin', Math.sin, (tf, x) => tf.sin(x)),
  unary('cos', Math.cos, (tf, x) => tf.cos(x)),
  unary('tan', Math.tan, (tf, x) => tf.tan(x)),
  unary('tanh', Math.tanh, (tf, x) => tf.tanh(x)),
  unary('sigmoid', sigmoid64, (tf, x) => tf.sigmoid(x)),
  unary('softplus', softplus64, (tf, x) => tf.softplus(x)),
  {
    name: 'min',
    minArgs: 2,
    maxArgs: Infinity,
    f64: (a, b) => Math.min(a, b),
    tf: (tf, args) => foldTf(args, (a, b) => tf.minimum(a, b)),
  },
  {
    name: 'max',
    minArgs: 2,
    maxArgs: Infinity,
    f64: (a, b) => Math.max(a, b),
    tf: (tf, args) => foldTf(args, (a, b) => tf.maximum(a, b)),
  },
  { name: 'pow', minArgs: 2, maxArgs: 2, f64: (a, b) => Math.pow(a, b), tf: (tf, [a, b]) => tfPower(tf, a!, b!) },
  {
    name: 'clip',
    minArgs: 3,
    maxArgs: 3,
    f64: (x, lo, hi) => Math.min(Math.max(x, lo), hi),
    tf: (tf, [x, lo, hi]) => tfClip(tf, x!, lo!, hi!),
  },
];

/**
 * Function name -> definition. Null-prototype and frozen, so `name in FORMULA_FUNCTIONS` is true only
 * for real functions (`constructor`, `__proto__`, `toString` are not functions here).
 */
export const FORMULA_FUNCTIONS: Readonly<Record<FunctionName, FormulaFunction>> = Object.freeze(
  Object.assign(Object.create(null) as Record<FunctionName, FormulaFunction>, Object.fromEntries(DEFINITIONS.map((fn) => [fn.name, fn]))),
);

/** The function's definition, or undefined when `name` is not a function. */
export function lookupFunction(name: string): FormulaFunction | undefined {
  return Object.hasOwn(FORMULA_FUNCTIONS, name) ? FORMULA_FUNCTIONS[name as FunctionName] : undefined;
}

/** `"log" takes 1 argument`, `"min" takes at least 2 arguments`. */
export function describeArity(fn: FormulaFunction): string {
  const plural = (count: number): string => `${count} argument${count === 1 ? '' : 's'}`;
  if (fn.maxArgs === Infinity) return `"${fn.name}" takes at least ${plural(fn.minArgs)}`;
  if (fn.minArgs === fn.maxArgs) return `"${fn.name}" takes ${plural(fn.minArgs)}`;
  return `"${fn.name}" takes ${fn.minArgs} to ${plural(fn.maxArgs)}`;
}
