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
   * The loss over rows 0…n-1 (each target's mean loss times its weight, summed), writing
   * d(loss)/d(net) into `dnet`. With K targets `net` and `dnet` are n × K, row-major (row i's
   * outputs at i·K … i·K + K − 1). `columns` holds the data columns the formulas name (variables,
   * target, scale), at least n rows each. With `weights` (one per row), each target's mean is the
   * weighted mean Σ w·loss / Σ w over the batch (as PyTorch's weighted losses reduce).
   */
  evaluate(net: Float32Array, columns: ReadonlyMap<string, Float64Array>, n: number, dnet: Float32Array, weights?: Float64Array): number;
}

/** One target's part of the training loss. */
export interface TargetLoss {
  name: string;
  head: Formula;
  loss: Formula;
  weight: number;
  /** The data columns this target's own `target` and `scale` read. */
  columns: { target: string; scale: string };
}

/**
 * A node's value and derivative for the current rows. `derivs` is null where the sub-expression
 * does not depend on the net output being differentiated (its derivative is 0 everywhere).
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

/** What a name in a formula stands for: a target's network output, a target's head, or a data column. */
type NameRef = { kind: 'net'; target: number } | { kind: 'pred'; target: number } | { kind: 'column'; column: string };

/** Compiles formulas whose derivatives are taken with respect to one target's network output, `wrt`. */
interface Context {
  capacity: number;
  columns: ReadonlyMap<string, Float64Array>;
  /** Every target's network output for the batch, as float64. */
  nets: Float64Array[];
  ones: Float64Array;
  wrt: number;
  targets: readonly TargetLoss[];
  /** Heads compiled in this context (by target), and the order they must run in before the loss. */
  heads: Map<number, Compiled>;
  headOrder: Compiled[];
}

/** How the names of one formula map to what they stand for. */
type Resolve = (name: string) => NameRef;

/** Compile `head` (of net and data) and `loss` (of pred, net and data) for batches of up to `capacity` rows: one target, as before targets. */
export function compileTrainingLoss(head: Formula, loss: Formula, capacity: number): TrainingLoss {
  return compileTargetLosses([{ name: 'target', head, loss, weight: 1, columns: { target: 'target', scale: 'scale' } }], capacity);
}

/**
 * Compile every target's head and loss. Target t's loss may read other targets' outputs
 * (`pred.NAME`, `net.NAME`), so it is compiled once per network output it depends on, each copy
 * carrying derivatives with respect to that output; the common case (each loss reads only its own
 * target) compiles each loss once, exactly as with one target.
 */
export function compileTargetLosses(targets: readonly TargetLoss[], capacity: number): TrainingLoss {
  const k = targets.length;
  const indexOf = new Map(targets.map((t, i) => [t.name, i]));
  const nets = targets.map(() => new Float64Array(capacity));
  const ones = new Float64Array(capacity).fill(1);
  const contextFor = (wrt: number): Context => ({ capacity, columns: new Map(), nets, ones, wrt, targets, heads: new Map(), headOrder: [] });

  const lossResolve = (t: number): Resolve => (name) => {
    const target = targets[t]!;
    if (name === 'net') return { kind: 'net', target: t };
    if (name === 'pred') return { kind: 'pred', target: t };
    if (name === 'target') return { kind: 'column', column: target.columns.target };
    if (name === 'scale') return { kind: 'column', column: target.columns.scale };
    const dot = name.indexOf('.');
    if (dot > 0) {
      const prefix = name.slice(0, dot);
      const other = indexOf.get(name.slice(dot + 1));
      if (other !== undefined && prefix === 'net') return { kind: 'net', target: other };
      if (other !== undefined && prefix === 'pred') return { kind: 'pred', target: other };
    }
    // target.NAME, scale.NAME and the variables are data columns under their own names.
    return { kind: 'column', column: name };
  };

  const terms = targets.map((target, t) => {
    const reads = new Set<number>();
    for (const name of target.loss.names) {
      const ref = lossResolve(t)(name);
      if (ref.kind !== 'column') reads.add(ref.target);
    }
    // One copy per output the loss depends on; a loss of the data alone still needs its value.
    const outputs = reads.size ? [...reads].sort((a, b) => a - b) : [-1];
    return {
      weight: target.weight,
      parts: outputs.map((wrt) => {
        const context = contextFor(wrt);
        const root = compileNode(target.loss.root, context, target.loss.source, lossResolve(t));
        return { wrt, context, root };
      }),
    };
  });
  const gradient = new Float64Array(capacity * k);

  return {
    evaluate(net, columns, n, dnet, weights) {
      if (n > capacity) throw new Error(`batch of ${n} rows is larger than the ${capacity} the loss was compiled for`);
      for (let j = 0; j < k; j++) {
        const column = nets[j]!;
        for (let i = 0; i < n; i++) column[i] = net[i * k + j]!;
      }
      gradient.fill(0, 0, n * k);
      // Weighted rows: row i counts w_i / Σw in each target's mean. A batch whose weights are all 0
      // teaches nothing: its loss is 0 and so is its gradient.
      let weightScale = 0;
      if (weights) {
        let sumW = 0;
        for (let i = 0; i < n; i++) sumW += weights[i]!;
        weightScale = sumW > 0 ? 1 / sumW : 0;
      }
      let total = 0;
      for (const { weight, parts } of terms) {
        parts.forEach(({ wrt, context, root }, p) => {
          context.columns = columns;
          for (const head of context.headOrder) head.run(n);
          root.run(n);
          const { values, derivs } = root.out;
          if (weights) {
            if (p === 0) {
              let sum = 0;
              for (let i = 0; i < n; i++) sum += weights[i]! * values[i]!;
              total += weight * (sum * weightScale);
            }
            if (derivs && wrt >= 0) for (let i = 0; i < n; i++) gradient[i * k + wrt] = gradient[i * k + wrt]! + weights[i]! * derivs[i]! * weightScale * weight;
            return;
          }
          if (p === 0) {
            let sum = 0;
            for (let i = 0; i < n; i++) sum += values[i]!;
            total += weight * (sum / n);
          }
          if (derivs && wrt >= 0) for (let i = 0; i < n; i++) gradient[i * k + wrt] = gradient[i * k + wrt]! + (derivs[i]! / n) * weight;
        });
      }
      for (let i = 0; i < n * k; i++) dnet[i] = gradient[i]!;
      return total;
    },
  };
}

function compileNode(node: FormulaNode, context: Context, source: string, resolve: Resolve): Compiled {
  const constant = constantValue(node);
  if (constant !== undefined) return constantNode(constant, context);
  switch (node.kind) {
    case 'number':
      return constantNode(node.value, context);
    case 'name':
      return nameNode(node.name, context, source, resolve);
    case 'neg':
      return binaryNode('*', constantNode(-1, context), compileNode(node.arg, context, source, resolve), context);
    case 'binary':
      return binaryNode(node.op, compileNode(node.left, context, source, resolve), compileNode(node.right, context, source, resolve), context);
    case 'call': {
      const args = node.args.map((arg) => compileNode(arg, context, source, resolve));
      if (node.fn === 'min' || node.fn === 'max') return args.slice(1).reduce((acc, arg) => extremumNode(node.fn === 'min', acc, arg, context), args[0]!);
      if (node.fn === 'clip') return extremumNode(true, extremumNode(false, args[0]!, args[1]!, context), args[2]!, context);
      if (node.fn === 'pow') return binaryNode('^', args[0]!, args[1]!, context);
      return unaryNode(node.fn, args[0]!, context);
    }
  }
}

/** Target t's head, compiled once per context; it runs before the loss that reads it. */
function headNode(t: number, context: Context): Compiled {
  let head = context.heads.get(t);
  if (!head) {
    const target = context.targets[t]!;
    const resolve: Resolve = (name) =>
      name === 'net' ? { kind: 'net', target: t } : name === 'scale' ? { kind: 'column', column: target.columns.scale } : { kind: 'column', column: name };
    head = compileNode(target.head.root, context, target.head.source, resolve);
    context.heads.set(t, head);
    context.headOrder.push(head);
  }
  return head;
}

function constantNode(value: number, context: Context): Compiled {
  return { out: { values: new Float64Array(context.capacity).fill(value), derivs: null }, run: () => {} };
}

function nameNode(name: string, context: Context, source: string, resolve: Resolve): Compiled {
  const ref = resolve(name);
  if (ref.kind === 'net') return { out: { values: context.nets[ref.target]!, derivs: ref.target === context.wrt ? context.ones : null }, run: () => {} };
  // The heads run once per batch before the loss; the loss reads their result.
  if (ref.kind === 'pred') return { out: headNode(ref.target, context).out, run: () => {} };
  const out: Dual = { values: new Float64Array(0), derivs: null };
  return {
    out,
    run: () => {
      const column = context.columns.get(ref.column);
      if (column === undefined) throw new Error(`no column "${ref.column}" for formula "${source}"`);
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
