// Where a model was trained: each problem variable's sampled range, checked row by row on new
// inputs. A row outside it is flagged, never silently extrapolated. Bounds may be formulas of
// earlier variables; they are evaluated on the row itself, as the sampler evaluates them.
import { compileFormula, fmt, type F64Function } from '../problem/compile.js';
import type { SweepSpec } from '../spec/types.js';
import type { VariableSpec } from '../spec/schema.js';

/** A variable's min or max: a number, or a formula of earlier variables. */
type Bound = { text: string; constant: boolean; evaluate: (columns: Map<string, Float64Array>, n: number) => Float64Array | number };

interface VariableCheck {
  name: string;
  /** One message per row (undefined when the row is in range). */
  check(columns: Map<string, Float64Array>, n: number): (string | undefined)[];
}

/** Range checks for every variable of the sweep's problem, in declaration order. */
export function rangeChecks(spec: Pick<SweepSpec, 'problem'>): VariableCheck[] {
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
