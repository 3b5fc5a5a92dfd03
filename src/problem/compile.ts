// A sweep's problem compiled once: variable samplers, and float64 functions for the target, the
// scale, the metrics and every feature set. Workers and the validator both start here.
import { compileF64, parseFormula, type Formula, type Float64Columns } from '../formula/index.js';
import { dataNames, inputNames, metricNames, targetNames, type FormulaScopes } from '../spec/names.js';
import type { Rng } from '../rng.js';
import type { SweepSpec } from '../spec/types.js';
import type { VariableSpec } from '../spec/schema.js';
import { columnsOf, hasNamedTargets, targetsOf, type TargetColumns } from './targets.js';

/** A formula over columns of n rows; with `out`, the result is written there (see compileF64). */
export type F64Function = (columns: Float64Columns, n: number, out?: Float64Array) => Float64Array;

export interface CompiledFormula {
  formula: Formula;
  evaluate: F64Function;
}

/** One target's formulas and the data columns they fill (`target`/`scale`, or `target.y1`/`scale.y1` with named targets). */
export interface CompiledTarget {
  name: string;
  columns: TargetColumns;
  target: CompiledFormula;
  scale: CompiledFormula | undefined;
  /** Where the target is defined in the sweep file, for messages. */
  path: (string | number)[];
}

export interface CompiledProblem {
  /** The inputs: the variables, or a data problem's input columns. */
  variableNames: string[];
  /** Whether the targets are named (`problem.targets`): metrics and columns then carry the target's name. */
  namedTargets: boolean;
  targets: CompiledTarget[];
  /** Per-sample metric formulas, evaluated once per target. */
  metrics: Map<string, CompiledFormula>;
  featureSets: Map<string, CompiledFormula[]>;
  /** Sample n points of every variable, in declaration order (later bounds may use earlier variables); none for a data problem. */
  sampleVariables(n: number, rng: Rng): Map<string, Float64Array>;
}

/** A sampled point where a variable's range is empty or not finite. */
export class SampleError extends Error {
  constructor(
    readonly variable: string,
    readonly point: ReadonlyMap<string, number>,
    message: string,
  ) {
    super(message);
  }
}

export function compileFormula(source: string, names: readonly string[]): CompiledFormula {
  const parsed = parseFormula(source, names);
  // The spec was validated before anything is compiled; a failure here is a bug, not bad input.
  if (!parsed.ok) throw new Error(`formula "${source}" does not parse: ${parsed.error.message}`);
  return { formula: parsed.formula, evaluate: compileF64(parsed.formula) };
}

export function compileProblem(spec: Pick<SweepSpec, 'problem' | 'features'>): CompiledProblem {
  const variableNames = inputNames(spec.problem);
  const namedTargets = hasNamedTargets(spec.problem);
  const definitions = targetsOf(spec.problem);
  // Every name any target's metric may use: each metric was checked per target when the sweep was loaded.
  const scopes: FormulaScopes = {
    variables: variableNames,
    hasScale: true,
    ...(spec.problem.data ? { targetColumns: spec.problem.data.targets } : {}),
    ...(namedTargets ? { targets: definitions.map((t) => ({ name: t.name, hasScale: t.scale !== undefined })) } : {}),
  };
  const names = dataNames(scopes);
  const sampled = Object.keys(spec.problem.variables);
  const samplers = sampled.map((name, i) => makeSampler(name, spec.problem.variables[name]!, sampled.slice(0, i)));
  const targets = definitions.map((t): CompiledTarget => {
    const own = spec.problem.targets !== undefined && typeof spec.problem.targets[t.name] === 'object';
    return {
      name: t.name,
      columns: columnsOf(t.name, namedTargets),
      // A data problem's target may be a formula of its target columns (by default: the column itself).
      target: compileFormula(t.formula, targetNames(scopes)),
      scale: t.scale !== undefined ? compileFormula(t.scale, names) : undefined,
      path: namedTargets ? ['problem', 'targets', t.name, ...(own ? ['formula'] : [])] : ['problem', 'target'],
    };
  });

  return {
    variableNames,
    namedTargets,
    targets,
    metrics: new Map(Object.entries(spec.problem.metrics).map(([name, f]) => [name, compileFormula(f, metricNames(scopes))])),
    featureSets: new Map(Object.entries(spec.features).map(([name, list]) => [name, list.map((f) => compileFormula(f, names))])),
    sampleVariables(n, rng) {
      const columns = new Map<string, Float64Array>();
      for (const sample of samplers) columns.set(sample.name, sample.draw(columns, n, rng));
      return columns;
    },
  };
}

interface Sampler {
  name: string;
  draw(columns: Map<string, Float64Array>, n: number, rng: Rng): Float64Array;
}

type Bound = (columns: Float64Columns, n: number) => Float64Array | number;

function compileBound(value: number | string | undefined, earlier: readonly string[]): Bound {
  if (value === undefined) return () => NaN;
  if (typeof value === 'number') return () => value;
  const { evaluate } = compileFormula(value, earlier);
  return evaluate;
}

function makeSampler(name: string, spec: VariableSpec, earlier: readonly string[]): Sampler {
  if (spec.value !== undefined) {
    const value = spec.value;
    return { name, draw: (_c, n) => new Float64Array(n).fill(value) };
  }
  if (spec.values !== undefined) {
    const values = spec.values;
    return {
      name,
      draw: (_c, n, rng) => Float64Array.from({ length: n }, () => rng.pick(values)),
    };
  }
  const minOf = compileBound(spec.min, earlier);
  const maxOf = compileBound(spec.max, earlier);
  const distribution = spec.distribution;
  return {
    name,
    draw(columns, n, rng) {
      const mins = minOf(columns, n);
      const maxs = maxOf(columns, n);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let lo = typeof mins === 'number' ? mins : mins[i]!;
        let hi = typeof maxs === 'number' ? maxs : maxs[i]!;
        if (distribution === 'int_uniform') {
          lo = Math.ceil(lo);
          hi = Math.floor(hi);
        }
        if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi) || (distribution === 'log_uniform' && !(lo > 0))) {
          const point = pointAt(columns, i);
          const why = distribution === 'log_uniform' && lo <= 0 && lo <= hi ? 'log_uniform needs min > 0' : 'the range is empty';
          throw new SampleError(name, point, `${name}: ${why}: min = ${fmt(lo)}, max = ${fmt(hi)}`);
        }
        if (distribution === 'log_uniform') out[i] = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * rng.next());
        else if (distribution === 'int_uniform') out[i] = rng.int(lo, hi);
        else out[i] = lo + (hi - lo) * rng.next();
      }
      return out;
    },
  };
}

/** Four significant digits, for error messages about sampled values. */
export function fmt(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}

/** The values of every column at row i: one sampled point, for error messages. */
export function pointAt(columns: ReadonlyMap<string, Float64Array>, i: number): Map<string, number> {
  return new Map([...columns].map(([name, values]) => [name, values[i]!]));
}

export function describePoint(point: ReadonlyMap<string, number>): string {
  return [...point].map(([k, v]) => `${k}=${fmt(v)}`).join(', ');
}
