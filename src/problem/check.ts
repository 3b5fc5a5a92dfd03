// Samples the problem once at load time and refuses a sweep whose target, scale or features are
// NaN/±Inf (or whose scale is 0) on its own data, saying which formula, at which point, and why.
import { Rng, deriveSeed } from '../rng.js';
import { explainNonFinite } from '../formula/index.js';
import { compileProblem, SampleError, describePoint, pointAt, type CompiledFormula } from './compile.js';
import type { SweepSpec } from '../spec/types.js';

const CHECK_SAMPLES = 4096;

export interface DataProblem {
  path: (string | number)[];
  message: string;
}

export function checkProblemData(spec: Pick<SweepSpec, 'problem' | 'features'>): DataProblem | null {
  const problem = compileProblem(spec);
  const n = Math.min(CHECK_SAMPLES, spec.problem.validation.size);
  let columns: Map<string, Float64Array>;
  try {
    columns = problem.sampleVariables(n, new Rng(deriveSeed(spec.problem.validation.seed, 'validation')));
  } catch (error) {
    if (error instanceof SampleError) {
      return {
        path: ['problem', 'variables', error.variable],
        message: `${error.message} at the sampled point ${describePoint(error.point)}`,
      };
    }
    throw error;
  }

  const check = (compiled: CompiledFormula, path: (string | number)[], what: string, mustBeNonZero = false): DataProblem | null => {
    const values = compiled.evaluate(columns, n);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (Number.isFinite(v) && !(mustBeNonZero && v === 0)) continue;
      const point = pointAt(columns, i);
      const why = Number.isFinite(v) ? 'it is 0 and the metrics divide by it' : (explainNonFinite(compiled.formula, point) ?? `it is ${v}`);
      return {
        path,
        message: `${what} (${compiled.formula.source}) is ${Number.isFinite(v) ? '0' : String(v)} on sampled data at ${describePoint(point)}: ${why}`,
      };
    }
    return null;
  };

  for (const target of problem.targets) {
    const targetProblem = check(target.target, target.path, problem.namedTargets ? `target ${target.name}` : 'the target');
    if (targetProblem) return targetProblem;
    if (target.scale) {
      const own = spec.problem.targets?.[target.name];
      const scalePath = typeof own === 'object' && own.scale !== undefined ? ['problem', 'targets', target.name, 'scale'] : ['problem', 'scale'];
      const scaleProblem = check(target.scale, scalePath, problem.namedTargets ? `the scale of target ${target.name}` : 'the scale', true);
      if (scaleProblem) return scaleProblem;
    }
  }
  for (const [set, formulas] of problem.featureSets) {
    for (const [i, compiled] of formulas.entries()) {
      const featureProblem = check(compiled, ['features', set, i], `feature ${i + 1} of set "${set}"`);
      if (featureProblem) return featureProblem;
    }
  }
  return null;
}
