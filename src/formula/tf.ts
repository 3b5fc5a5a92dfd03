// Compiles a formula to a function that builds differentiable tfjs ops (tfjs is passed in, never imported).
// Training computes heads and losses on the host (src/train/loss.ts, with its own derivatives); this
// compiler is the autodiff reference those derivatives are tested against (test/train/loss.test.ts).
import type * as tfc from '@tensorflow/tfjs-core';
import type { BinaryOp, FormulaNode } from './ast.js';
import { FORMULA_FUNCTIONS, tfPower, type TfOperand } from './functions.js';
import type { Formula } from './parse.js';
import { constantValue } from './scalar.js';

export type TfEnv = ReadonlyMap<string, tfc.Tensor>;

/** A compiled sub-expression: a constant folded at compile time, or a builder of tfjs ops. */
type TfBuilder = number | ((env: TfEnv) => tfc.Tensor);

/** Compile to a function building differentiable tfjs ops. Call it inside tf.tidy / a gradient function. Numbers become scalars. */
export function compileTf(formula: Formula, tf: typeof tfc): (env: TfEnv) => tfc.Tensor {
  const root = compileNode(formula.root, tf, formula.source);
  if (typeof root === 'number') return () => tf.scalar(root);
  return root;
}

function operand(builder: TfBuilder, env: TfEnv): TfOperand {
  return typeof builder === 'number' ? builder : builder(env);
}

function compileNode(node: FormulaNode, tf: typeof tfc, source: string): TfBuilder {
  const constant = constantValue(node);
  if (constant !== undefined) return constant;
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'name': {
      const name = node.name;
      return (env) => {
        const tensor = env.get(name);
        if (tensor === undefined) throw new Error(`no tensor for "${name}" in formula "${source}"`);
        return tensor;
      };
    }
    case 'neg': {
      const arg = compileNode(node.arg, tf, source);
      return (env) => tf.neg(operand(arg, env));
    }
    case 'binary':
      return compileBinary(node.op, compileNode(node.left, tf, source), compileNode(node.right, tf, source), tf);
    case 'call': {
      const definition = FORMULA_FUNCTIONS[node.fn];
      const args = node.args.map((arg) => compileNode(arg, tf, source));
      return (env) => definition.tf(tf, args.map((arg) => operand(arg, env)));
    }
  }
}

function compileBinary(op: BinaryOp, left: TfBuilder, right: TfBuilder, tf: typeof tfc): TfBuilder {
  switch (op) {
    case '+':
      return (env) => tf.add(operand(left, env), operand(right, env));
    case '-':
      return (env) => tf.sub(operand(left, env), operand(right, env));
    case '*':
      return (env) => tf.mul(operand(left, env), operand(right, env));
    case '/':
      return (env) => tf.div(operand(left, env), operand(right, env));
    case '^':
      return (env) => tfPower(tf, operand(left, env), operand(right, env));
  }
}
