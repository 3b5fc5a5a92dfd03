// Reads the `parameters:` block (W&B sweep vocabulary) into normalised distributions.
import type { Distribution } from '../search/space.js';
import type { ParameterFileSpec } from './schema.js';

export type ParameterResult = { ok: true; distribution: Distribution } | { ok: false; field?: string; message: string };

/** W&B inference rules: `value` → constant, `values` → categorical, integer min/max → int_uniform, else uniform. */
export function parameterDistribution(spec: ParameterFileSpec): ParameterResult {
  const kind = spec.distribution ?? inferDistribution(spec);
  if (!kind) return { ok: false, message: 'expected "value", "values", or "min" and "max" (with an optional "distribution")' };

  switch (kind) {
    case 'constant':
      if (!('value' in spec) || spec.value === undefined) return { ok: false, field: 'value', message: 'a constant needs "value"' };
      return { ok: true, distribution: { type: 'categorical', choices: [spec.value] } };
    case 'categorical':
      if (!spec.values) return { ok: false, field: 'values', message: 'a categorical parameter needs "values": a list' };
      return { ok: true, distribution: { type: 'categorical', choices: spec.values } };
    default:
      return rangeDistribution(kind, spec);
  }
}

function inferDistribution(spec: ParameterFileSpec): ParameterFileSpec['distribution'] | undefined {
  if (spec.values !== undefined) return 'categorical';
  if (spec.value !== undefined) return 'constant';
  if (spec.min !== undefined || spec.max !== undefined) {
    return Number.isInteger(spec.min) && Number.isInteger(spec.max) ? 'int_uniform' : 'uniform';
  }
  return undefined;
}

function rangeDistribution(kind: NonNullable<ParameterFileSpec['distribution']>, spec: ParameterFileSpec): ParameterResult {
  const { min, max } = spec;
  if (min === undefined) return { ok: false, field: 'min', message: `"${kind}" needs "min" and "max"` };
  if (max === undefined) return { ok: false, field: 'max', message: `"${kind}" needs "min" and "max"` };
  if (!(min < max)) return { ok: false, field: 'min', message: `expected min < max, got min ${min} and max ${max}` };
  const log = kind.includes('log');
  if (log && min <= 0) return { ok: false, field: 'min', message: `a log-scale distribution needs min > 0, got ${min}` };
  const quantised = kind.startsWith('q_');
  if (spec.q !== undefined && !quantised && kind !== 'int_uniform') {
    return { ok: false, field: 'q', message: `"q" applies to q_uniform and q_log_uniform, not ${kind}` };
  }
  if (kind === 'int_uniform') {
    if (!Number.isInteger(min) || !Number.isInteger(max)) {
      return { ok: false, field: 'min', message: `int_uniform needs whole-number bounds, got ${min} and ${max}` };
    }
    return { ok: true, distribution: { type: 'int', low: min, high: max, log: false, step: spec.q ?? 1 } };
  }
  const q = quantised ? (spec.q ?? 1) : undefined;
  if (q !== undefined && Number.isInteger(q) && Number.isInteger(min) && Number.isInteger(max)) {
    return { ok: true, distribution: { type: 'int', low: min, high: max, log, step: q } };
  }
  return { ok: true, distribution: { type: 'float', low: min, high: max, log, ...(q !== undefined ? { step: q } : {}) } };
}

/** Values that stand for a distribution when validating it: its choices, or its bounds. */
export function representativeValues(distribution: Distribution): readonly unknown[] {
  return distribution.type === 'categorical' ? distribution.choices : [distribution.low, distribution.high];
}
