// Evaluates a syntax tree on plain numbers: one row of values, or a constant sub-expression at compile time.
import type { BinaryOp, FormulaNode } from './ast.js';
import { childrenOf } from './ast.js';
import { lookupConstant } from './constants.js';
import { FORMULA_FUNCTIONS, type FunctionName } from './functions.js';

export function applyBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return Math.pow(a, b);
  }
}

/** Applies a function; variadic ones (min, max) fold their binary form left over the arguments. */
export function applyFunction(fn: FunctionName, args: readonly number[]): number {
  const definition = FORMULA_FUNCTIONS[fn];
  if (definition.maxArgs === Infinity) {
    let result = args[0]!;
    for (let i = 1; i < args.length; i++) result = definition.f64(result, args[i]!);
    return result;
  }
  return definition.f64(...args);
}

/**
 * Value of `node`, with free names from `valueOf`. `visit` sees every node's value, children first
 * (explanations use it to find where a NaN or infinity first appears).
 */
export function evaluateNode(
  node: FormulaNode,
  valueOf: (name: string) => number,
  visit?: (node: FormulaNode, value: number) => void,
): number {
  let value: number;
  switch (node.kind) {
    case 'number':
      value = node.value;
      break;
    case 'name':
      value = lookupConstant(node.name) ?? valueOf(node.name);
      break;
    case 'neg':
      value = -evaluateNode(node.arg, valueOf, visit);
      break;
    case 'binary':
      value = applyBinary(node.op, evaluateNode(node.left, valueOf, visit), evaluateNode(node.right, valueOf, visit));
      break;
    case 'call':
      value = applyFunction(
        node.fn,
        node.args.map((arg) => evaluateNode(arg, valueOf, visit)),
      );
      break;
  }
  visit?.(node, value);
  return value;
}

/** True when the sub-expression uses no free names (only numbers and constants such as `pi`). */
export function isConstantExpression(node: FormulaNode): boolean {
  if (node.kind === 'name') return lookupConstant(node.name) !== undefined;
  return childrenOf(node).every(isConstantExpression);
}

/** The value of a constant sub-expression (`2*pi`, `-1`, `1/2`), or undefined if it uses free names. */
export function constantValue(node: FormulaNode): number | undefined {
  if (!isConstantExpression(node)) return undefined;
  return evaluateNode(node, (name) => {
    throw new Error(`constant expression uses the name "${name}"`);
  });
}
