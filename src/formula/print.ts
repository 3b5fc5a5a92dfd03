// Prints a syntax tree back to formula text, with only the parentheses the parser needs to rebuild it.
import type { FormulaNode } from './ast.js';

/** Binding strength: higher binds tighter. */
const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2, neg: 3, '^': 4, atom: 5 } as const;

function precedenceOf(node: FormulaNode): number {
  switch (node.kind) {
    case 'binary':
      return PRECEDENCE[node.op];
    case 'neg':
      return PRECEDENCE.neg;
    case 'number':
      return node.value < 0 ? PRECEDENCE.neg : PRECEDENCE.atom;
    default:
      return PRECEDENCE.atom;
  }
}

/**
 * Formula text for `node`, reparsable to the same tree: `+`/`-` spaced, `*`, `/`, `^` tight, e.g.
 * `x5/x2 - exp(net)`. Same-precedence right operands keep their parentheses (`a - (b - c)`, and
 * `a + (b + c)` too, since float addition is not associative).
 */
export function printFormula(node: FormulaNode): string {
  switch (node.kind) {
    case 'number':
      return String(node.value);
    case 'name':
      return node.name;
    case 'neg': {
      // `-(-x)` rather than `--x`, for the reader.
      const needsParens = precedenceOf(node.arg) <= PRECEDENCE.neg;
      return `-${wrap(printFormula(node.arg), needsParens)}`;
    }
    case 'call':
      return `${node.fn}(${node.args.map(printFormula).join(', ')})`;
    case 'binary': {
      const own = PRECEDENCE[node.op];
      const rightAssociative = node.op === '^';
      const left = wrap(printFormula(node.left), rightAssociative ? precedenceOf(node.left) <= own : precedenceOf(node.left) < own);
      const right = wrap(printFormula(node.right), rightAssociative ? precedenceOf(node.right) < own : precedenceOf(node.right) <= own);
      return node.op === '+' || node.op === '-' ? `${left} ${node.op} ${right}` : `${left}${node.op}${right}`;
    }
  }
}

function wrap(text: string, parenthesise: boolean): string {
  return parenthesise ? `(${text})` : text;
}
