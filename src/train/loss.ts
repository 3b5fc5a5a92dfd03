// The training loss of a batch and its derivative with respect to the network's output, computed
// on the host in float64 from the trial's head and loss formulas.
//
// Each training step reads the network's output (n floats) back, evaluates
//   pred = head(net, scale, variables…)      loss_i = loss(pred, net, target, scale, variables…)
// row by row in float64, together with d(loss_i)/d(net_i) by forward-mode differentiation (every
// node carries its value and its derivative with respect to net), and hands d(mean loss)/d(net)
// to the network's backward pass. This replaces a dozen or more tfjs ops per step (the head, the
// loss and their gradients, over float32 copies of the data columns) with a few loops over n
// numbers, and keeps the loss in the same precision as the data, the features and the metrics.
//
// The derivatives follow tfjs's gradients, including at the kinks: min/max pass the gradient to
// the first argument on ties, clip passes it inside [lo, hi] inclusive, x^y differentiates the
// exponent only where x > 0. abs has derivative sign(x) (0 at 0).
import type { BinaryOp, FormulaNode } from '../formula/ast.js';
import type { FunctionName } from '../formula/functions.js';
import type { Formula } from '../formula/parse.js';
import { constantValue } from '../formula/scalar.js';

export interface TrainingLoss {
  /**
   * The mean loss over rows 0…n-1, writing d(mean loss)/d(net_i) into `dnet`. `columns` holds the
   * data columns the formulas name (variables, target, scale), at least n rows each. With
   * `weights`, the weighted mean Σ w·loss / Σ w over the batch (as PyTorch's weighted losses reduce).
   */
  evaluate(net: Float32Array, columns: ReadonlyMap<string, Float64Array>, n: number, dnet: Float32Array, weights?: Float64Array): number;
}

/**
 * A node's value and derivative for the current rows. `derivs` is null where the sub-expression
 * does not depend on net (its derivative is 0 everywhere).
 */
interface Dual {
  values: Float64Array;
  derivs: Float64Array | null;
}

/** A compiled node: `run` fills `out` for rows 0…n-1 (children first). */
interface Compiled {
  out: Dual;
  run(n: number): void;
}

interface Context {
  capacity: number;
  columns: ReadonlyMap<string, Float64Array>;
  net: Float64Array;
  ones: Float64Array;
  /** The compiled head, which `pred` in the loss refers to. */
  pred?: Compiled;
}

/** Compile `head` (of net and data) and `loss` (of pred, net and data) for batches of up to `capacity` rows. */
export function compileTrainingLoss(head: Formula, loss: Formula, capacity: number): TrainingLoss {
  const context: Context = { capacity, columns: new Map(), net: new Float64Array(capacity), ones: new Float64Array(capacity).fill(1) };
  const usesPred = loss.names.includes('pred');
  if (usesPred) context.pred = compileNode(head.root, context, head.source);
  const root = compileNode(loss.root, context, loss.source);
  return {
    evaluate(net, columns, n, dnet, weights) {
      if (n > capacity) throw new Error(`batch of ${n} rows is larger than the ${capacity} the loss was compiled for`);
      context.columns = columns;
      for (let i = 0; i < n; i++) context.net[i] = net[i]!;
      context.pred?.run(n);
      root.run(n);
      const { values, derivs } = root.out;
      if (weights) return weightedMean(values, derivs, weights, n, dnet);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += values[i]!;
      for (let i = 0; i < n; i++) dnet[i] = derivs ? derivs[i]! / n : 0;
      return sum / n;
    },
  };
}

function weightedMean(values: Float64Array, derivs: Float64Array | null, weights: Float64Array, n: number, dnet: Float32Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  // A batch whose weights are all 0 teaches nothing: its loss is 0 and so is its gradient.
  const scale = total > 0 ? 1 / total : 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]! * values[i]!;
  for (let i = 0; i < n; i++) dnet[i] = derivs ? weights[i]! * derivs[i]! * scale : 0;
  return sum * scale;
}

function compileNode(node: FormulaNode, context: Context, source: string): Compiled {
  const constant = constantValue(node);
  if (constant !== undefined) return constantNode(constant, context);
  switch (node.kind) {
    case 'number':
      return constantNode(node.value, context);
    case 'name':
      return nameNode(node.name, context, source);
    case 'neg':
      return binaryNode('*', constantNode(-1, context), compileNode(node.arg, context, source), context);
    case 'binary':
      return binaryNode(node.op, compileNode(node.left, context, source), compileNode(node.right, context, source), context);
    case 'call': {
      const args = node.args.map((arg) => compileNode(arg, context, source));
      if (node.fn === 'min' || node.fn === 'max') return args.slice(1).reduce((acc, arg) => extremumNode(node.fn === 'min', acc, arg, context), args[0]!);
      if (node.fn === 'clip') return extremumNode(true, extremumNode(false, args[0]!, args[1]!, context), args[2]!, context);
      if (node.fn === 'pow') return binaryNode('^', args[0]!, args[1]!, context);
      return unaryNode(node.fn, args[0]!, context);
    }
  }
}

function constantNode(value: number, context: Context): Compiled {
  return { out: { values: new Float64Array(context.capacity).fill(value), derivs: null }, run: () => {} };
}

function nameNode(name: string, context: Context, source: string): Compiled {
  if (name === 'net') return { out: { values: context.net, derivs: context.ones }, run: () => {} };
  if (name === 'pred') {
    const pred = context.pred;
    if (!pred) throw new Error(`"pred" in formula "${source}" without a head`);
    // The head runs once per batch before the loss; the loss reads its result.
    return { out: pred.out, run: () => {} };
  }
  const out: Dual = { values: new Float64Array(0), derivs: null };
  return {
    out,
    run: () => {
      const column = context.columns.get(name);
      if (column === undefined) throw new Error(`no column "${name}" for formula "${source}"`);
      out.values = column;
    },
  };
}

/** An output buffer pair for a node; the derivative buffer only where some input depends on net. */
function outputFor(context: Context, ...inputs: Compiled[]): Dual {
  const dynamic = inputs.some((input) => input.out.derivs !== null);
  return { values: new Float64Array(context.capacity), derivs: dynamic ? new Float64Array(context.capacity) : null };
}

function binaryNode(op: BinaryOp, left: Compiled, right: Compiled, context: Context): Compiled {
  const out = outputFor(context, left, right);
  return {
    out,
    run(n) {
      left.run(n);
      right.run(n);
      const a = left.out.values;
      const b = right.out.values;
      const da = left.out.derivs;
      const db = right.out.derivs;
      const v = out.values;
      const d = out.derivs;
      switch (op) {
        case '+':
          for (let i = 0; i < n; i++) v[i] = a[i]! + b[i]!;
          if (d) for (let i = 0; i < n; i++) d[i] = (da ? da[i]! : 0) + (db ? db[i]! : 0);
          return;
        case '-':
          for (let i = 0; i < n; i++) v[i] = a[i]! - b[i]!;
          if (d) for (let i = 0; i < n; i++) d[i] = (da ? da[i]! : 0) - (db ? db[i]! : 0);
          return;
        case '*':
          for (let i = 0; i < n; i++) v[i] = a[i]! * b[i]!;
          if (d) for (let i = 0; i < n; i++) d[i] = (da ? da[i]! * b[i]! : 0) + (db ? a[i]! * db[i]! : 0);
          return;
        case '/':
          for (let i = 0; i < n; i++) v[i] = a[i]! / b[i]!;
          // (da·b − a·db) / b² = (da − v·db) / b
          if (d) for (let i = 0; i < n; i++) d[i] = ((da ? da[i]! : 0) - (db ? v[i]! * db[i]! : 0)) / b[i]!;
          return;
        case '^':
          for (let i = 0; i < n; i++) v[i] = Math.pow(a[i]!, b[i]!);
          if (d) {
            for (let i = 0; i < n; i++) {
              const x = a[i]!;
              const y = b[i]!;
              const base = da ? da[i]! * (y === 2 ? 2 * x : y * Math.pow(x, y - 1)) : 0;
              const exponent = db ? db[i]! * (x > 0 ? v[i]! * Math.log(x) : 0) : 0;
              d[i] = base + exponent;
            }
          }
          return;
      }
    },
  };
}

/** min (a ≤ b picks a) or max (a ≥ b picks a), value and derivative from the picked argument. */
function extremumNode(isMin: boolean, left: Compiled, right: Compiled, context: Context): Compiled {
  const out = outputFor(context, left, right);
  return {
    out,
    run(n) {
      left.run(n);
      right.run(n);
      const a = left.out.values;
      const b = right.out.values;
      const da = left.out.derivs;
      const db = right.out.derivs;
      const v = out.values;
      const d = out.derivs;
      for (let i = 0; i < n; i++) {
        const pickA = isMin ? a[i]! <= b[i]! : a[i]! >= b[i]!;
        // NaN compares false: the result is NaN either way.
        v[i] = pickA ? a[i]! : Number.isNaN(a[i]!) ? a[i]! : b[i]!;
        if (d) d[i] = pickA ? (da ? da[i]! : 0) : db ? db[i]! : 0;
      }
    },
  };
}

/** y = f(x) and dy/dx as a function of x and y, for each one-argument function. */
const UNARY: Record<Exclude<FunctionName, 'min' | 'max' | 'pow' | 'clip'>, { f: (x: number) => number; df: (x: number, y: number) => number }> = {
  log: { f: Math.log, df: (x) => 1 / x },
  ln: { f: Math.log, df: (x) => 1 / x },
  log10: { f: Math.log10, df: (x) => 1 / (x * Math.LN10) },
  log2: { f: Math.log2, df: (x) => 1 / (x * Math.LN2) },
  log1p: { f: Math.log1p, df: (x) => 1 / (1 + x) },
  exp: { f: Math.exp, df: (_x, y) => y },
  expm1: { f: Math.expm1, df: (_x, y) => y + 1 },
  sqrt: { f: Math.sqrt, df: (_x, y) => 0.5 / y },
  square: { f: (x) => x * x, df: (x) => 2 * x },
  abs: { f: Math.abs, df: (x) => Math.sign(x) },
  sign: { f: Math.sign, df: () => 0 },
  sin: { f: Math.sin, df: (x) => Math.cos(x) },
  cos: { f: Math.cos, df: (x) => -Math.sin(x) },
  tan: { f: Math.tan, df: (_x, y) => 1 + y * y },
  tanh: { f: Math.tanh, df: (_x, y) => 1 - y * y },
  sigmoid: { f: sigmoid, df: (_x, y) => y * (1 - y) },
  softplus: { f: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))), df: sigmoid },
};

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const ex = Math.exp(x);
  return ex / (1 + ex);
}

function unaryNode(fn: FunctionName, arg: Compiled, context: Context): Compiled {
  const rule = UNARY[fn as keyof typeof UNARY];
  if (!rule) throw new Error(`no derivative rule for "${fn}"`);
  const { f, df } = rule;
  const out = outputFor(context, arg);
  return {
    out,
    run(n) {
      arg.run(n);
      const x = arg.out.values;
      const dx = arg.out.derivs;
      const v = out.values;
      for (let i = 0; i < n; i++) v[i] = f(x[i]!);
      const d = out.derivs;
      if (d && dx) for (let i = 0; i < n; i++) d[i] = dx[i]! * df(x[i]!, v[i]!);
    },
  };
}
