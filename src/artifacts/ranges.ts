// Where a model was trained: each problem variable's sampled range (or, for a data problem, the
// range each input column spans over the training rows, recorded in the spec), checked row by row
// on new inputs. A row outside it is flagged, never silently extrapolated. Bounds may be formulas of
// earlier variables; they are evaluated on the row itself, as the sampler evaluates them.
import { compileFormula, fmt, type F64Function } from '../problem/compile.js';
import type { SweepSpec } from '../spec/types.js';
import type { VariableSpec } from '../spec/schema.js';
import type { DataSpec } from '../data/problem-table.js';

/** A variable's min or max: a number, or a formula of earlier variables. */
type Bound = { text: string; constant: boolean; evaluate: (columns: Map<string, Float64Array>, n: number) => Float64Array | number };

interface VariableCheck {
  name: string;
  /** One message per row (undefined when the row is in range). */
  check(columns: Map<string, Float64Array>, n: number): (string | undefined)[];
}

/** Range checks for every input of the sweep's problem, in declaration order. */
export function rangeChecks(spec: Pick<SweepSpec, 'problem'>): VariableCheck[] {
  const data = spec.problem.data;
  if (data) return data.inputs.map((name) => columnCheck(name, data.ranges[name]!, data.path));
  const names = Object.keys(spec.problem.variables);
  return names.map((name, i) => variableCheck(name, spec.problem.variables[name]!, names.slice(0, i)));
}

/** Per row, the reasons it lies outside the trained ranges (empty when it does not). */
export function flagRows(checks: VariableCheck[], columns: Map<string, Float64Array>, n: number): string[][] {
  const flags: string[][] = Array.from({ length: n }, () => []);
  for (const variable of checks) {
    variable.check(columns, n).forEach((message, row) => {
      if (message) flags[row]!.push(message);
    });
  }
  return flags;
}

/** The trained range of each variable, in words (for exports and messages). */
export function describeRange(spec: VariableSpec): string {
  if (spec.value !== undefined) return `= ${spec.value}`;
  if (spec.values !== undefined) return `one of ${spec.values.join(', ')}`;
  return `${spec.distribution} in [${spec.min}, ${spec.max}]`;
}

/** The trained ranges of a data problem's inputs, in words, by input (for exports). */
export function describeColumnRanges(data: DataSpec): Record<string, { min: number; max: number; trained_range: string }> {
  return Object.fromEntries(
    data.inputs.map((name) => {
      const [min, max] = data.ranges[name]!;
      return [name, { min, max, trained_range: `column of ${data.path}, in [${min}, ${max}] over the ${data.rows.train} training rows` }];
    }),
  );
}

/** A data problem's input: the range its column spans over the training rows. */
function columnCheck(name: string, [lo, hi]: [number, number], file: string): VariableCheck {
  return {
    name,
    check: (columns, n) =>
      rows(columns, name, n, (v) => {
        if (v < lo) return `${name} = ${fmt(v)} is below ${fmt(lo)}, the smallest value in the training rows of ${file}`;
        if (v > hi) return `${name} = ${fmt(v)} is above ${fmt(hi)}, the largest value in the training rows of ${file}`;
        return undefined;
      }),
  };
}

function variableCheck(name: string, spec: VariableSpec, earlier: readonly string[]): VariableCheck {
  if (spec.value !== undefined) {
    const value = spec.value;
    return { name, check: (columns, n) => rows(columns, name, n, (v) => (v === value ? undefined : `${name} = ${fmt(v)}, but it was always ${value} in training`)) };
  }
  if (spec.values !== undefined) {
    const allowed = new Set(spec.values);
    const list = spec.values.join(', ');
    return { name, check: (columns, n) => rows(columns, name, n, (v) => (allowed.has(v) ? undefined : `${name} = ${fmt(v)} is not one of its sampled values ${list}`)) };
  }
  const min = bound(spec.min!, earlier);
  const max = bound(spec.max!, earlier);
  const whole = spec.distribution === 'int_uniform';
  return {
    name,
    check(columns, n) {
      const lows = min.evaluate(columns, n);
      const highs = max.evaluate(columns, n);
      return rows(columns, name, n, (v, i) => {
        let lo = typeof lows === 'number' ? lows : lows[i]!;
        let hi = typeof highs === 'number' ? highs : highs[i]!;
        if (whole) {
          lo = Math.ceil(lo);
          hi = Math.floor(hi);
        }
        const at = (b: Bound, value: number) => (b.constant ? fmt(value) : `${b.text} = ${fmt(value)}`);
        if (!(Number.isFinite(lo) && Number.isFinite(hi))) return `${name}'s range [${min.text}, ${max.text}] is not finite at this row`;
        if (v < lo) return `${name} = ${fmt(v)} is below its min ${at(min, lo)}`;
        if (v > hi) return `${name} = ${fmt(v)} is above its max ${at(max, hi)}`;
        if (whole && !Number.isInteger(v)) return `${name} = ${fmt(v)} is not a whole number (it was sampled int_uniform)`;
        return undefined;
      });
    },
  };
}

function bound(value: number | string, earlier: readonly string[]): Bound {
  if (typeof value === 'number') return { text: String(value), constant: true, evaluate: () => value };
  const evaluate: F64Function = compileFormula(value, earlier).evaluate;
  return { text: value, constant: false, evaluate };
}

function rows(columns: Map<string, Float64Array>, name: string, n: number, check: (value: number, row: number) => string | undefined): (string | undefined)[] {
  const values = columns.get(name);
  if (!values) throw new Error(`no column for variable ${name}`);
  return Array.from({ length: n }, (_, i) => check(values[i]!, i));
}
