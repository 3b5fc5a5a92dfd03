// Checks on a sweep file's data as YAML gave it, before its shape is checked: what no field of
// any sweep file may hold. A number must be finite (YAML's .inf, .nan and 1e400 are numbers to a
// parser, and every trial would fail with them), and no mapping key may be a name that every
// JavaScript object already has (`constructor`, `toString`, `__proto__`, …): as a variable,
// feature set or metric name it would be mistaken for that property, so it is refused with why.
import type { FieldPath } from './source.js';

export interface DataProblem {
  path: FieldPath;
  message: string;
  /** The problem is the key at `path`, not its value. */
  key: boolean;
}

/** Object.prototype's own names: __proto__, constructor, toString, valueOf, hasOwnProperty, … */
const OBJECT_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** True for a name every JavaScript object already has (a data file's header must not name a column so either). */
export function isObjectPropertyName(name: string): boolean {
  return OBJECT_NAMES.has(name);
}

/** A value to look at and how it was reached; its path is only spelled out when there is a problem. */
interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string | number | undefined;
}

function pathOf(visit: Visit): FieldPath {
  const path: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

export function findDataProblem(data: unknown): DataProblem | undefined {
  const stack: Visit[] = [{ value: data, parent: undefined, key: undefined }];
  while (stack.length) {
    const visit = stack.pop()!;
    const { value } = visit;
    const path = () => pathOf(visit);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        const shown = Number.isNaN(value) ? 'NaN (.nan)' : `${value > 0 ? '' : '-'}infinity (.inf, or a number beyond ±1.8e308)`;
        return { path: path(), message: `expected a finite number, got ${shown}`, key: false };
      }
    } else if (Array.isArray(value)) {
      // Children are pushed last-first, so the walk meets problems in the file's order and names the first.
      for (let index = value.length - 1; index >= 0; index--) stack.push({ value: value[index], parent: visit, key: index });
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      const key = keys.find((name) => OBJECT_NAMES.has(name));
      if (key !== undefined) {
        return {
          path: [...path(), key],
          message: `"${key}" cannot be used as a name here: every JavaScript object already has a property of that name, so it would be mistaken for it; rename it`,
          key: true,
        };
      }
      for (let k = keys.length - 1; k >= 0; k--) stack.push({ value: (value as Record<string, unknown>)[keys[k]!], parent: visit, key: keys[k]! });
    }
  }
  return undefined;
}
