// Evaluates the problem's formulas once at load time on its own rows and refuses a sweep whose
// target, scale or features are NaN/±Inf (or whose scale is 0) there, saying which formula, at
// which row, and why.
import { explainNonFinite } from '../formula/index.js';
import { compileProblem, SampleError, describePoint, pointAt, type CompiledFormula } from './compile.js';
import { sampledSource, tableSource } from './data-source.js';
import { rowsOf } from './dataset.js';
import type { LoadedTable } from '../data/problem-table.js';
import type { SweepSpec } from '../spec/types.js';

export interface DataProblem {
  path: (string | number)[];
  message: string;
}

/** Checks the formulas on the problem's own rows: a sample of a sampled problem, every row of a table. */
export function checkProblemData(spec: Pick<SweepSpec, 'problem' | 'features'>, table?: LoadedTable): DataProblem | null {
  const problem = compileProblem(spec);
  const source = table ? tableSource(spec, table.table, (row) => table.origin(row)) : sampledSource(spec, problem);
  let checked: ReturnType<typeof source.checkRows>;
  try {
    checked = source.checkRows();
  } catch (error) {
    if (error instanceof SampleError) {
      return {
        path: ['problem', 'variables', error.variable],
        message: `${error.message} at the sampled point ${describePoint(error.point)}`,
      };
    }
    throw error;
  }
  const { n, columns } = checked.rows;

  // A table is checked a chunk of rows at a time, so a large one never holds a whole column per formula.
  const chunk = 1 << 13;
  // One buffer for every chunk of every formula: a million-row table is 122 chunks per formula.
  const buffer = new Float64Array(Math.min(chunk, n));
  const check = (compiled: CompiledFormula, path: (string | number)[], what: string, mustBeNonZero = false): DataProblem | null => {
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const rows = start === 0 && size === n ? columns : rowsOf(columns, start, size);
      const values = compiled.evaluate(rows, size, buffer);
      for (let i = 0; i < size; i++) {
        const v = values[i]!;
        if (Number.isFinite(v) && !(mustBeNonZero && v === 0)) continue;
        const point = pointAt(rows, i);
        const why = Number.isFinite(v) ? 'it is 0 and the metrics divide by it' : (explainNonFinite(compiled.formula, point) ?? `it is ${v}`);
        return {
          path,
          message: `${what} (${compiled.formula.source}) is ${Number.isFinite(v) ? '0' : String(v)} on ${checked.describe(start + i)}: ${why}`,
        };
      }
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
