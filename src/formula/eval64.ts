// Compiles a formula to a vectorized float64 function over columns, and evaluates it on one row.
import type { BinaryOp, FormulaNode } from './ast.js';
import { FORMULA_FUNCTIONS, type FunctionName } from './functions.js';
import type { Formula } from './parse.js';
import { applyBinary, constantValue, evaluateNode } from './scalar.js';

export { explainNonFinite } from './explain.js';

export type Float64Columns = ReadonlyMap<string, Float64Array>;

/** A vector result; `owned` arrays are temporaries (length n) that a parent may overwrite in place. */
interface Vector {
  values: Float64Array;
  owned: boolean;
}

type Runner = (columns: Float64Columns, n: number) => Vector;

/** A compiled sub-expression: a constant folded at compile time, or a function of the columns. */
type Operand = { constant: number } | { run: Runner };

/**
 * Compile once, evaluate many times over columns of n rows. Each node loops over the rows itself.
 * With `out` (at least n long) the result is written there and `out.subarray(0, n)` returned:
 * the first temporary the evaluation needs is `out` itself, so a formula with one branch of
 * work (most features: `log(x)`, `a/b`) allocates nothing. Chunked callers (the load-time check,
 * the feature statistics, batches) reuse one buffer per formula instead of one per chunk.
 */
export function compileF64(formula: Formula): (columns: Float64Columns, n: number, out?: Float64Array) => Float64Array {
  const root = compileNode(formula.root);
  const usedNames = formula.names;
  return (columns, n, out) => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`row count must be a whole number ≥ 0, got ${n}`);
    for (const name of usedNames) {
      const column = columns.get(name);
      if (column === undefined) throw new Error(`no column "${name}" for formula "${formula.source}"`);
      if (column.length < n) throw new Error(`column "${name}" has ${column.length} rows, fewer than ${n}`);
    }
    if (out !== undefined && out.length < n) throw new Error(`output buffer has ${out.length} rows, fewer than ${n}`);
    const target = out?.subarray(0, n);
    if ('constant' in root) return (target ?? new Float64Array(n)).fill(root.constant);
    // Evaluation is synchronous and never nested, so one module-level slot carries the buffer.
    spare = target;
    let result: Vector;
    try {
      result = root.run(columns, n);
    } finally {
      spare = undefined;
    }
    if (target) {
      if (result.values !== target) target.set(result.values.subarray(0, n));
      return target;
    }
    // Never hand out a caller's column: the result is the caller's to modify.
    return result.owned ? result.values : result.values.slice(0, n);
  };
}

/** The caller's output buffer, until the first temporary takes it (see compileF64). */
let spare: Float64Array | undefined;

export function evalScalar(formula: Formula, env: ReadonlyMap<string, number>): number {
  return evaluateNode(formula.root, (name) => {
    const value = env.get(name);
    if (value === undefined) throw new Error(`no value for "${name}" in formula "${formula.source}"`);
    return value;
  });
}

function compileNode(node: FormulaNode): Operand {
  const constant = constantValue(node);
  if (constant !== undefined) return { constant };
  switch (node.kind) {
    case 'number':
      return { constant: node.value };
    case 'name': {
      const name = node.name;
      return { run: (columns) => ({ values: columns.get(name)!, owned: false }) };
    }
    case 'neg':
      return compileBinary('*', { constant: -1 }, compileNode(node.arg));
    case 'binary':
      return compileBinary(node.op, compileNode(node.left), compileNode(node.right));
    case 'call':
      return compileCall(node.fn, node.args.map(compileNode));
  }
}

function outputFor(n: number, ...inputs: Vector[]): Float64Array {
  for (const input of inputs) if (input.owned) return input.values;
  if (spare !== undefined) {
    const taken = spare;
    spare = undefined;
    return taken;
  }
  return new Float64Array(n);
}

function compileBinary(op: BinaryOp, left: Operand, right: Operand): Operand {
  if ('constant' in right) {
    if ('constant' in left) return { constant: applyBinary(op, left.constant, right.constant) };
    const b = right.constant;
    const runLeft = left.run;
    return {
      run: (columns, n) => {
        const a = runLeft(columns, n);
        const out = outputFor(n, a);
        vectorScalarLoop(op, out, a.values, b, n);
        return { values: out, owned: true };
      },
    };
  }
  if ('constant' in left) {
    const a = left.constant;
    const runRight = right.run;
    return {
      run: (columns, n) => {
        const b = runRight(columns, n);
        const out = outputFor(n, b);
        scalarVectorLoop(op, out, a, b.values, n);
        return { values: out, owned: true };
      },
    };
  }
  const runLeft = left.run;
  const runRight = right.run;
  return {
    run: (columns, n) => {
      const a = runLeft(columns, n);
      const b = runRight(columns, n);
      const out = outputFor(n, a, b);
      vectorVectorLoop(op, out, a.values, b.values, n);
      return { values: out, owned: true };
    },
  };
}

// One loop per operator (the switch sits outside the loop), so each loop body is a single float op.
function vectorVectorLoop(op: BinaryOp, out: Float64Array, a: Float64Array, b: Float64Array, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
      return;
    case '-':
      for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
      return;
    case '*':
      for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
      return;
    case '/':
      for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
      return;
    case '^':
      for (let i = 0; i < n; i++) out[i] = Math.pow(a[i]!, b[i]!);
      return;
  }
}

function vectorScalarLoop(op: BinaryOp, out: Float64Array, a: Float64Array, b: number, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) out[i] = a[i]! + b;
      return;
    case '-':
      for (let i = 0; i < n; i++) out[i] = a[i]! - b;
      return;
    case '*':
      for (let i = 0; i < n; i++) out[i] = a[i]! * b;
      return;
    case '/':
      for (let i = 0; i < n; i++) out[i] = a[i]! / b;
      return;
    case '^':
      if (b === 2) for (let i = 0; i < n; i++) out[i] = a[i]! * a[i]!;
      else for (let i = 0; i < n; i++) out[i] = Math.pow(a[i]!, b);
      return;
  }
}

function scalarVectorLoop(op: BinaryOp, out: Float64Array, a: number, b: Float64Array, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) out[i] = a + b[i]!;
      return;
    case '-':
      for (let i = 0; i < n; i++) out[i] = a - b[i]!;
      return;
    case '*':
      for (let i = 0; i < n; i++) out[i] = a * b[i]!;
      return;
    case '/':
      for (let i = 0; i < n; i++) out[i] = a / b[i]!;
      return;
    case '^':
      for (let i = 0; i < n; i++) out[i] = Math.pow(a, b[i]!);
      return;
  }
}

function compileCall(fn: FunctionName, args: Operand[]): Operand {
  const definition = FORMULA_FUNCTIONS[fn];
  const f = definition.f64;
  if (definition.maxArgs === Infinity) {
    // min/max: fold pairwise, each step one vectorized loop.
    let result = args[0]!;
    for (let i = 1; i < args.length; i++) result = compileElementwise(f, [result, args[i]!]);
    return result;
  }
  return compileElementwise(f, args);
}

/** `f` applied row by row; constant operands of unary and binary functions are read as scalars. */
function compileElementwise(f: (...args: number[]) => number, args: Operand[]): Operand {
  if (args.every((arg) => 'constant' in arg)) return { constant: f(...args.map((arg) => (arg as { constant: number }).constant)) };
  const [first, second] = args;
  if (args.length === 1 && first && 'run' in first) {
    const runX = first.run;
    return {
      run: (columns, n) => {
        const x = runX(columns, n);
        const out = outputFor(n, x);
        const xs = x.values;
        for (let i = 0; i < n; i++) out[i] = f(xs[i]!);
        return { values: out, owned: true };
      },
    };
  }
  if (args.length === 2 && first && second) {
    if ('constant' in second) return vectorScalarCall(f, (first as { run: Runner }).run, second.constant);
    if ('constant' in first) return scalarVectorCall(f, first.constant, second.run);
    const runA = first.run;
    const runB = second.run;
    return {
      run: (columns, n) => {
        const a = runA(columns, n);
        const b = runB(columns, n);
        const out = outputFor(n, a, b);
        const as = a.values;
        const bs = b.values;
        for (let i = 0; i < n; i++) out[i] = f(as[i]!, bs[i]!);
        return { values: out, owned: true };
      },
    };
  }
  // Three or more operands (clip): constants are expanded to columns, rows gathered into one array.
  const runners: Runner[] = args.map((arg) => ('run' in arg ? arg.run : (_columns, n) => ({ values: new Float64Array(n).fill(arg.constant), owned: true })));
  return {
    run: (columns, n) => {
      const vectors = runners.map((run) => run(columns, n));
      const out = outputFor(n, ...vectors);
      const row = new Array<number>(vectors.length).fill(0);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < vectors.length; k++) row[k] = vectors[k]!.values[i]!;
        out[i] = f(...row);
      }
      return { values: out, owned: true };
    },
  };
}

function vectorScalarCall(f: (...args: number[]) => number, runA: Runner, b: number): Operand {
  return {
    run: (columns, n) => {
      const a = runA(columns, n);
      const out = outputFor(n, a);
      const as = a.values;
      for (let i = 0; i < n; i++) out[i] = f(as[i]!, b);
      return { values: out, owned: true };
    },
  };
}

function scalarVectorCall(f: (...args: number[]) => number, a: number, runB: Runner): Operand {
  return {
    run: (columns, n) => {
      const b = runB(columns, n);
      const out = outputFor(n, b);
      const bs = b.values;
      for (let i = 0; i < n; i++) out[i] = f(a, bs[i]!);
      return { values: out, owned: true };
    },
  };
}
