// The equation a network learned, when it has one: a network that is affine in its features
// (collapseAffine) behind a head is a closed formula of the variables. Behind exp(net), log
// features turn into a monomial: exp(c0 + Σ ci·log(ui)) = e^c0 · Π ui^ci. Exponents (or, outside
// exp, coefficients) and the constant within ROUND_TOLERANCE of a simple rational p/q are rounded
// to it, and the formula is printed in the formula language, so it can be parsed, evaluated and
// measured on the held-out set like any other formula.
import { parseFormula, printFormula, type FormulaNode } from '../formula/index.js';
import { compileFormula } from '../problem/compile.js';
import { headNames, dataNames, inputNames } from '../spec/names.js';
import { baseMetricOf, scopesOf, targetScopes, trialTargets } from '../spec/resolve.js';
import { evaluateTargetMetrics } from '../problem/target-metrics.js';
import { SINGLE_TARGET, metricKey } from '../problem/targets.js';
import type { FormulaScopes } from '../spec/names.js';
import type { TrainedModel } from '../train/model.js';
import { summarize } from '../problem/summary.js';
import { collapseAffine } from './affine.js';
import { formatRational, rationalValue, simpleRational, MAX_DENOMINATOR, ROUND_TOLERANCE, type Rational } from './rational.js';
import { predictRows, type Predictor } from './predict.js';
import type { LoadedBackend } from '../train/backend.js';
import type { TrialArtifact } from './load.js';

/** log functions and the factor that turns a coefficient on them into a power: exp(c·log_b(u)) = u^(c/ln b). */
const LOG_FUNCTIONS: Record<string, number> = { log: 1, ln: 1, log10: 1 / Math.LN10, log2: 1 / Math.LN2 };

export interface FeatureTerm {
  /** The feature formula, as in the sweep file. */
  formula: string;
  /** Its coefficient in net (on the raw feature value) and that rounded, when within tolerance. */
  coefficient: number;
  roundedCoefficient?: Rational;
  /** For a log feature log_b(u): u, and the power of u in exp(net) (coefficient / ln b), rounded when within tolerance. */
  power?: { base: string; exponent: number; rounded?: Rational };
}

export type HeadForm = 'exp' | 'affine' | 'mixed';

export interface ClosedForm {
  closedForm: true;
  /** exp: net appears only as exp(net); affine: never inside exp(net); mixed: both. */
  form: HeadForm;
  head: string;
  intercept: number;
  terms: FeatureTerm[];
  /** net as a formula of the features: learned values (SIGNIFICANT digits) and rounded. */
  net: { learned: string; rounded: string };
  /** exp(net) as a product of powers (when the head uses exp(net)): e^intercept and the formulas. */
  expNet?: { constant: number; learned: string; rounded: string };
  /** The prediction as a formula of the variables (and scale): learned values, and rounded. */
  pred: { learned: string; rounded: string };
  /** How many exponents/coefficients were rounded, out of how many, and whether the constant was (e^intercept behind exp, else the intercept). */
  rounding: { rounded: number; of: number; constant: boolean; tolerance: number; maxDenominator: number };
}

export type Explanation = ClosedForm | { closedForm: false; reason: string };

/** The model's output for one target as a one-output network (the last layer's column for it). */
export function outputModel(model: TrainedModel, output: number): TrainedModel {
  if (model.layerSizes.at(-1) === 1) return model;
  const sizes = model.layerSizes;
  const last = sizes.length - 2;
  const units = sizes.at(-1)!;
  const kernel = Float32Array.from({ length: sizes[last]! }, (_, r) => model.kernels[last]![r * units + output]!);
  return {
    layerSizes: [...sizes.slice(0, -1), 1],
    activations: model.activations,
    kernels: [...model.kernels.slice(0, last), kernel],
    biases: [...model.biases.slice(0, last), Float32Array.of(model.biases[last]![output]!)],
    norm: model.norm,
  };
}

/** Each target's explanation (one, for a `target:` problem): that target's output read back through its own head. */
export function explainTargets(artifact: TrialArtifact): { target: string; head: string; explanation: Explanation }[] {
  const outputs = artifact.model.outputs ?? [SINGLE_TARGET];
  return trialTargets(artifact.spec, artifact.config).map((t) => {
    const output = outputs.indexOf(t.name);
    if (output < 0) return { target: t.name, head: t.head, explanation: { closedForm: false as const, reason: `the stored model has no output for target ${t.name}` } };
    return { target: t.name, head: t.head, explanation: explainOutput(artifact, outputModel(artifact.model, output), t.head, t.scopes) };
  });
}

/** The first target's explanation: the one target of a `target:` problem. */
export function explainModel(artifact: TrialArtifact): Explanation {
  return explainTargets(artifact)[0]!.explanation;
}

function explainOutput(artifact: TrialArtifact, model: TrainedModel, head: string, headScopes: FormulaScopes): Explanation {
  const collapsed = collapseAffine(model);
  if (!collapsed.ok) return { closedForm: false, reason: collapsed.reason };
  const { intercept, coefficients } = collapsed.affine;
  const scopes = scopesOf(artifact.spec);
  const features = artifact.config.featureFormulas.map((source) => parsed(source, dataNames(scopes)));

  const terms: FeatureTerm[] = features.map((root, i) => {
    const coefficient = coefficients[i]!;
    const term: FeatureTerm = { formula: artifact.config.featureFormulas[i]!, coefficient };
    const rounded = simpleRational(coefficient);
    if (rounded) term.roundedCoefficient = rounded;
    const log = logOf(root);
    if (log) {
      const exponent = coefficient * log.factor;
      const roundedExponent = simpleRational(exponent);
      term.power = { base: printFormula(log.arg), exponent, ...(roundedExponent ? { rounded: roundedExponent } : {}) };
    }
    return term;
  });

  const headRoot = parsed(head, headNames(headScopes));
  const uses = netUses(headRoot);
  const form: HeadForm = uses.bare === 0 ? 'exp' : uses.inExp === 0 ? 'affine' : 'mixed';
  // The constant is rounded like the rest: the intercept of net, or the factor e^intercept of exp(net).
  const roundedIntercept = simpleRational(intercept);
  const roundedFactor = simpleRational(Math.exp(intercept));
  const build = (rounded: boolean) => {
    const net = affineNode(intercept, rounded ? roundedIntercept : undefined, terms, features, rounded);
    const expNet = monomialNode(intercept, rounded ? roundedFactor : undefined, terms, features, rounded);
    return { net, expNet, pred: substitute(headRoot, net, expNet) };
  };
  const learned = build(false);
  const rounded = build(true);
  const roundable = terms.map((t) => (uses.inExp > 0 && t.power ? t.power.rounded : t.roundedCoefficient));
  return {
    closedForm: true,
    form,
    head,
    intercept,
    terms,
    net: { learned: printFormula(learned.net), rounded: printFormula(rounded.net) },
    ...(uses.inExp > 0 ? { expNet: { constant: Math.exp(intercept), learned: printFormula(learned.expNet), rounded: printFormula(rounded.expNet) } } : {}),
    pred: { learned: printFormula(learned.pred), rounded: printFormula(rounded.pred) },
    rounding: {
      rounded: roundable.filter(Boolean).length,
      of: terms.length,
      constant: (uses.inExp > 0 ? roundedFactor : roundedIntercept) !== undefined,
      tolerance: ROUND_TOLERANCE,
      maxDenominator: MAX_DENOMINATOR,
    },
  };
}

export interface HeldOutComparison {
  n: number;
  metric: string;
  recorded: number | null;
  network: number;
  learned: number;
  rounded: number;
}

/**
 * A target's metric on the sweep's held-out set: the network (the predict pipeline), the learned
 * formula and the rounded one. The metric is the per-sample one the sweep metric summarises, for
 * this target (`rel_l1`, or `rel_l1.y1`); other targets keep the network's predictions.
 */
export function compareOnHeldOut(
  backend: LoadedBackend,
  predictor: Predictor,
  explanation: ClosedForm,
  heldOut: { n: number; columns: Map<string, Float64Array> },
  targetName = predictor.targets[0]!.name,
): HeldOutComparison {
  const { spec, trial } = predictor.artifact;
  const base = baseMetricOf(spec);
  const index = predictor.targets.findIndex((t) => t.name === targetName);
  const key = metricKey(base, targetName, predictor.problem.namedTargets);
  // The inputs and, for a data problem, its target columns (the target formula reads them).
  const read = [...inputNames(spec.problem), ...(spec.problem.data?.targets ?? [])];
  const variables = new Map(read.map((name) => [name, heldOut.columns.get(name)!]));
  const predictions = predictRows(backend, predictor, variables, heldOut.n, { check: true });
  const scopes = targetScopes(spec)[index]!.scopes;
  const formulaMetric = (text: string): number => {
    const columns = new Map(heldOut.columns);
    const scale = heldOut.columns.get(predictor.problem.targets[index]!.columns.scale);
    if (scale) columns.set('scale', scale);
    const preds = [...predictions.preds];
    preds[index] = compileFormula(text, headNames(scopes)).evaluate(columns, heldOut.n);
    const metric = evaluateTargetMetrics(predictor.problem, heldOut.columns, preds, heldOut.n).find((m) => m.key === key)!;
    return summarize(metric.values).mean;
  };
  const recorded = key === spec.metric.name ? trial.value : (trial.metrics[key] ?? null);
  return {
    n: heldOut.n,
    metric: key,
    recorded,
    network: summarize(predictions.metrics!.get(key)!).mean,
    learned: formulaMetric(explanation.pred.learned),
    rounded: formulaMetric(explanation.pred.rounded),
  };
}

function parsed(source: string, names: readonly string[]): FormulaNode {
  const result = parseFormula(source, names);
  // Everything parsed here was validated when the sweep was loaded, or was printed by this module.
  if (!result.ok) throw new Error(`formula "${source}" does not parse: ${result.error.message}`);
  return result.formula.root;
}

function logOf(root: FormulaNode): { arg: FormulaNode; factor: number } | undefined {
  if (root.kind !== 'call' || root.args.length !== 1) return undefined;
  const factor = LOG_FUNCTIONS[root.fn];
  return factor === undefined ? undefined : { arg: root.args[0]!, factor };
}

/** How `net` occurs in the head: as exp(net), or anywhere else. */
function netUses(node: FormulaNode): { inExp: number; bare: number } {
  if (isExpNet(node)) return { inExp: 1, bare: 0 };
  if (node.kind === 'name') return { inExp: 0, bare: node.name === 'net' ? 1 : 0 };
  const children = node.kind === 'neg' ? [node.arg] : node.kind === 'binary' ? [node.left, node.right] : node.kind === 'call' ? node.args : [];
  return children.map(netUses).reduce((a, b) => ({ inExp: a.inExp + b.inExp, bare: a.bare + b.bare }), { inExp: 0, bare: 0 });
}

function isExpNet(node: FormulaNode): boolean {
  return node.kind === 'call' && node.fn === 'exp' && node.args.length === 1 && node.args[0]!.kind === 'name' && node.args[0]!.name === 'net';
}

/** The head with exp(net) replaced by the monomial and any other net by the affine formula. */
function substitute(node: FormulaNode, net: FormulaNode, expNet: FormulaNode): FormulaNode {
  if (isExpNet(node)) return expNet;
  switch (node.kind) {
    case 'name':
      return node.name === 'net' ? net : node;
    case 'number':
      return node;
    case 'neg':
      return { ...node, arg: substitute(node.arg, net, expNet) };
    case 'binary':
      return { ...node, left: substitute(node.left, net, expNet), right: substitute(node.right, net, expNet) };
    case 'call':
      return { ...node, args: node.args.map((a) => substitute(a, net, expNet)) };
  }
}

// Syntax-tree builders (positions are meaningless for printed formulas).
const num = (value: number): FormulaNode => ({ kind: 'number', value, start: 0, end: 0 });
const bin = (op: '+' | '-' | '*' | '/' | '^', left: FormulaNode, right: FormulaNode): FormulaNode => ({ kind: 'binary', op, left, right, start: 0, end: 0 });
const product = (factors: FormulaNode[]): FormulaNode => factors.reduce((a, b) => bin('*', a, b));

/** Significant digits the printed formulas carry (float32 weights hold about seven). */
const SIGNIFICANT = 7;

function sig(value: number): number {
  return Number(value.toPrecision(SIGNIFICANT));
}

/** A value as a formula node: p/q when rounded (and q > 1), else the number. */
function valueNode(value: number, rounded: Rational | undefined): FormulaNode {
  if (!rounded) return num(sig(value));
  return rounded.q === 1 ? num(rounded.p) : bin('/', num(rounded.p), num(rounded.q));
}

/** intercept + Σ coefficient·feature, with minus signs where coefficients are negative. */
function affineNode(intercept: number, roundedIntercept: Rational | undefined, terms: FeatureTerm[], features: FormulaNode[], rounded: boolean): FormulaNode {
  const constant = roundedIntercept ? rationalValue(roundedIntercept) : sig(intercept);
  let sum: FormulaNode | undefined = constant === 0 ? undefined : valueNode(constant, roundedIntercept);
  terms.forEach((term, i) => {
    const r = rounded ? term.roundedCoefficient : undefined;
    const value = r ? rationalValue(r) : sig(term.coefficient);
    if (value === 0) return;
    const magnitude = Math.abs(value) === 1 ? features[i]! : bin('*', valueNode(Math.abs(value), r ? { p: Math.abs(r.p), q: r.q } : undefined), features[i]!);
    if (!sum) sum = value < 0 ? { kind: 'neg', arg: magnitude, start: 0, end: 0 } : magnitude;
    else sum = bin(value < 0 ? '-' : '+', sum, magnitude);
  });
  return sum ?? num(0);
}

/** exp(net) = e^intercept · Π u^power over log features · Π exp(c·f) over the others; negative powers go below the line. */
function monomialNode(intercept: number, roundedFactor: Rational | undefined, terms: FeatureTerm[], features: FormulaNode[], rounded: boolean): FormulaNode {
  // A rounded constant p/q is written as p above the line and q below it: (x1 - x2)/(2*x3), not 1/2*(x1 - x2)/x3.
  const above: FormulaNode[] = [roundedFactor ? num(roundedFactor.p) : num(sig(Math.exp(intercept)))];
  const below: FormulaNode[] = roundedFactor && roundedFactor.q > 1 ? [num(roundedFactor.q)] : [];
  terms.forEach((term, i) => {
    if (!term.power) {
      const r = rounded ? term.roundedCoefficient : undefined;
      const value = r ? rationalValue(r) : sig(term.coefficient);
      if (value !== 0) above.push({ kind: 'call', fn: 'exp', args: [bin('*', valueNode(value, r), features[i]!)], start: 0, end: 0 });
      return;
    }
    const r = rounded ? term.power.rounded : undefined;
    const exponent = r ? rationalValue(r) : sig(term.power.exponent);
    if (exponent === 0) return;
    const base = logOf(features[i]!)!.arg;
    const magnitude = Math.abs(exponent);
    const power = magnitude === 1 ? base : bin('^', base, valueNode(magnitude, r ? { p: Math.abs(r.p), q: r.q } : undefined));
    (exponent > 0 ? above : below).push(power);
  });
  // A constant factor of 1 (to SIGNIFICANT digits) says nothing: leave it out when other factors remain.
  if (above.length > 1 && above[0]!.kind === 'number' && above[0]!.value === 1) above.shift();
  const top = product(above);
  return below.length ? bin('/', top, product(below)) : top;
}

/** "2", "-1/2": a rounded value in words, for tables. */
export function roundedText(r: Rational | undefined): string {
  return r ? formatRational(r) : '';
}
