// Shared test helpers: parse-or-fail, tree shapes as S-expressions, and a seeded random source.
import { parseFormula, type Formula, type FormulaNode, type FormulaSyntaxError } from '../../src/formula/index.js';

export function parse(source: string, names: Iterable<string> = ['x', 'y', 'z', 'a', 'b', 'c']): Formula {
  const result = parseFormula(source, names);
  if (!result.ok) throw new Error(`expected "${source}" to parse, got: ${result.error.message}`);
  return result.formula;
}

export function parseError(source: string, names: Iterable<string> = ['x', 'y', 'z', 'a', 'b', 'c']): FormulaSyntaxError {
  const result = parseFormula(source, names);
  if (result.ok) throw new Error(`expected "${source}" to be refused`);
  return result.error;
}

/** Fully parenthesised prefix form, e.g. `(- (neg x) 2)`: exposes the tree, not the text. */
export function shape(node: FormulaNode): string {
  switch (node.kind) {
    case 'number':
      return String(node.value);
    case 'name':
      return node.name;
    case 'neg':
      return `(neg ${shape(node.arg)})`;
    case 'binary':
      return `(${node.op} ${shape(node.left)} ${shape(node.right)})`;
    case 'call':
      return `(${node.fn} ${node.args.map(shape).join(' ')})`;
  }
}

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function seededUniform(seed: number): (lo: number, hi: number) => number {
  let state = seed >>> 0;
  return (lo, hi) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * unit;
  };
}
