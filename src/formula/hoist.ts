// Splits a formula into float64 columns for its static parts and a remainder over the dynamic names.
import type { FormulaNode } from './ast.js';
import { childrenOf } from './ast.js';
import { lookupConstant } from './constants.js';
import { lookupFunction } from './functions.js';
import { parseFormula, type Formula } from './parse.js';
import { printFormula } from './print.js';
import { isConstantExpression } from './scalar.js';

export interface Hoisted {
  /** Formula over dynamic names + hoisted column names. */
  rewritten: Formula;
  /** New column name -> float64 formula over the static names. */
  columns: Map<string, Formula>;
}

/**
 * Replace every maximal sub-expression that does not depend on any of `dynamicNames` and is not just a
 * single name or number by a fresh column name (`prefix` + 0, 1, ...). Identical sub-expressions (same
 * printed form, so whitespace and redundant parentheses do not matter) share one column. Constant
 * sub-expressions (`2*pi`, `-1`) stay inline: they are folded when compiled, a column would waste memory.
 */
export function hoistStatic(formula: Formula, dynamicNames: ReadonlySet<string>, prefix: string): Hoisted {
  const dynamicNodes = nodesUsing(formula.root, dynamicNames);
  const columns = new Map<string, Formula>();
  const columnByText = new Map<string, string>();
  const takenNames = new Set(formula.names);
  let counter = 0;
  const freshName = (): string => {
    let name: string;
    do name = `${prefix}${counter++}`;
    while (takenNames.has(name) || lookupFunction(name) !== undefined || lookupConstant(name) !== undefined);
    takenNames.add(name);
    return name;
  };

  const rewrite = (node: FormulaNode): FormulaNode => {
    if (dynamicNodes.has(node)) {
      switch (node.kind) {
        case 'neg':
          return { ...node, arg: rewrite(node.arg) };
        case 'binary':
          return { ...node, left: rewrite(node.left), right: rewrite(node.right) };
        case 'call':
          return { ...node, args: node.args.map(rewrite) };
        default:
          return node;
      }
    }
    if (node.kind === 'name' || node.kind === 'number' || isConstantExpression(node)) return node;
    const text = printFormula(node);
    let column = columnByText.get(text);
    if (column === undefined) {
      column = freshName();
      columnByText.set(text, column);
      // Keep the user's own text for the column, so explanations quote what they wrote.
      columns.set(column, reparse(formula.source.slice(node.start, node.end), formula.names));
    }
    return { kind: 'name', name: column, start: node.start, end: node.end };
  };

  const root = rewrite(formula.root);
  const rewritten = columns.size === 0 ? formula : reparse(printFormula(root), [...formula.names, ...columns.keys()]);
  return { rewritten, columns };
}

/** The nodes whose sub-expression uses at least one of `names`. */
function nodesUsing(root: FormulaNode, names: ReadonlySet<string>): Set<FormulaNode> {
  const using = new Set<FormulaNode>();
  const visit = (node: FormulaNode): boolean => {
    let uses = node.kind === 'name' && names.has(node.name);
    for (const child of childrenOf(node)) if (visit(child)) uses = true;
    if (uses) using.add(node);
    return uses;
  };
  visit(root);
  return using;
}

function reparse(source: string, names: readonly string[]): Formula {
  const parsed = parseFormula(source, names);
  if (!parsed.ok) throw new Error(`hoistStatic produced an unparsable formula "${source}": ${parsed.error.message}`);
  return parsed.formula;
}
