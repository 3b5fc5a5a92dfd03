// The formula language's public API: parse, print, evaluate in float64 or tfjs, explain.
export type { BinaryOp, FormulaNode } from './ast.js';
export { FORMULA_CONSTANTS, lookupConstant, type ConstantName } from './constants.js';
export { didYouMean } from './did-you-mean.js';
export { compileF64, evalScalar, type Float64Columns } from './eval64.js';
export { explainNonFinite } from './explain.js';
export { FORMULA_FUNCTIONS, lookupFunction, type FormulaFunction, type FunctionName, type TfOperand } from './functions.js';
export { parseFormula, type Formula, type FormulaSyntaxError, type ParseResult } from './parse.js';
export { printFormula } from './print.js';
export { compileTf, type TfEnv } from './tf.js';
