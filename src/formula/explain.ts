// Says in words why a formula is NaN or infinite at one point: which sub-expression broke, and how.
import type { FormulaNode } from './ast.js';
import { childrenOf } from './ast.js';
import type { Formula } from './parse.js';
import { evaluateNode } from './scalar.js';

/**
 * When evaluating at `env` gives NaN/±Inf, the innermost sub-expression whose inputs are finite but
 * whose result is not, quoted from the source, e.g. `log(x1 - x2 - 600) is log of -12.5 (not positive)`.
 * Null when the value is finite.
 */
export function explainNonFinite(formula: Formula, env: ReadonlyMap<string, number>): string | null {
  const values = new Map<FormulaNode, number>();
  const result = evaluateNode(
    formula.root,
    (name) => {
      const value = env.get(name);
      if (value === undefined) throw new Error(`no value for "${name}" in formula "${formula.source}"`);
      return value;
    },
    (node, value) => values.set(node, value),
  );
  if (Number.isFinite(result)) return null;
  // Follow non-finite values down from the root: a non-finite result that later turns finite
  // (exp(-exp(1000))) is not the reason the formula failed.
  let culprit = formula.root;
  for (;;) {
    const brokenChild = childrenOf(culprit).find((child) => !Number.isFinite(values.get(child)));
    if (brokenChild === undefined) break;
    culprit = brokenChild;
  }
  const inputs = childrenOf(culprit).map((child) => values.get(child)!);
  return describe(culprit, formula.source.slice(culprit.start, culprit.end), inputs, values.get(culprit)!);
}

function describe(node: FormulaNode, text: string, inputs: readonly number[], value: number): string {
  const [a = NaN, b = NaN] = inputs;
  switch (node.kind) {
    case 'name':
      return `${node.name} is ${formatNumber(value)}`;
    case 'binary':
      switch (node.op) {
        case '/':
          return b === 0 ? `${text} divides by 0` : `${text} overflows (${formatNumber(a)} / ${formatNumber(b)})`;
        case '^':
          return describePower(text, a, b);
        default:
          return `${text} overflows (${formatNumber(a)} ${node.op} ${formatNumber(b)})`;
      }
    case 'call':
      switch (node.fn) {
        case 'log':
        case 'ln':
        case 'log10':
        case 'log2':
          if (a <= 0) return `${text} is ${node.fn} of ${formatNumber(a)} (not positive)`;
          break;
        case 'log1p':
          if (a <= -1) return `${text} is log1p of ${formatNumber(a)} (not greater than -1)`;
          break;
        case 'sqrt':
          if (a < 0) return `${text} is sqrt of ${formatNumber(a)} (negative)`;
          break;
        case 'pow':
          return describePower(text, a, b);
        case 'exp':
        case 'expm1':
        case 'square':
          return `${text} overflows (${node.fn} of ${formatNumber(a)})`;
        default:
          break;
      }
      return `${text} is ${formatNumber(value)} (${node.fn} of ${inputs.map(formatNumber).join(', ')})`;
    default:
      return `${text} is ${formatNumber(value)}`;
  }
}

function describePower(text: string, base: number, exponent: number): string {
  const operands = `${formatNumber(base)} to the power ${formatNumber(exponent)}`;
  if (base < 0 && !Number.isInteger(exponent)) return `${text} is ${operands} (negative base, fractional exponent)`;
  if (base === 0 && exponent < 0) return `${text} divides by 0 (${operands})`;
  return `${text} overflows (${operands})`;
}

/** Short, readable numbers: `-12.5`, `-0.9995`, `2.3e4`, `1e-7`. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || value === 0) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-4) {
    const [mantissa = '', exponent = ''] = value.toExponential(3).split('e');
    const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    return `${trimmed}e${exponent.replace('+', '')}`;
  }
  return String(Number(value.toPrecision(6)));
}
