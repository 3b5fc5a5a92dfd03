// The syntax tree of a parsed formula; every node remembers where it came from in the source text.
import type { FunctionName } from './functions.js';

export type BinaryOp = '+' | '-' | '*' | '/' | '^';

export type FormulaNode =
  | { kind: 'number'; value: number; start: number; end: number }
  | { kind: 'name'; name: string; start: number; end: number }
  | { kind: 'neg'; arg: FormulaNode; start: number; end: number }
  | { kind: 'binary'; op: BinaryOp; left: FormulaNode; right: FormulaNode; start: number; end: number }
  | { kind: 'call'; fn: FunctionName; args: FormulaNode[]; start: number; end: number };

/** The direct sub-expressions of a node, left to right. */
export function childrenOf(node: FormulaNode): readonly FormulaNode[] {
  switch (node.kind) {
    case 'number':
    case 'name':
      return [];
    case 'neg':
      return [node.arg];
    case 'binary':
      return [node.left, node.right];
    case 'call':
      return node.args;
  }
}
