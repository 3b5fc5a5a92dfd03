// How TPE sees the search space: every parameter with more than one possible value becomes one
// dimension of a kernel space (numbers on their own scale, log scale for log distributions, or a
// choice index), with an encoder from trial values and a decoder that snaps back to a valid value.
import { roundToStep, type Distribution, type Parameter } from './space.js';

/** One dimension as the Parzen estimator models it. */
export type KernelDim =
  /**
   * A real interval [low, high]. With `step`, only low, low + step, …, high are possible: the
   * kernels live on [low − step/2, high + step/2] and a value's probability is its bin's mass.
   */
  | { kind: 'numeric'; low: number; high: number; step?: number }
  | { kind: 'categorical'; size: number };

export interface TpeDim {
  path: string;
  kernel: KernelDim;
  /** A trial's value in kernel space, or undefined when it is not a value of this distribution. */
  encode(value: unknown): number | undefined;
  /** A kernel-space point back to a parameter value (snapped to the step, within bounds). */
  decode(x: number): unknown;
}

export interface TpeSpace {
  dims: TpeDim[];
  /** Parameters with one possible value: TPE has nothing to learn about them. */
  constants: Record<string, unknown>;
  /** Parameter paths in declaration order (the order of a trial's params). */
  order: string[];
}

export function tpeSpace(parameters: readonly Parameter[]): TpeSpace {
  const dims: TpeDim[] = [];
  const constants: Record<string, unknown> = {};
  for (const { path, distribution } of parameters) {
    const dim = tpeDim(path, distribution);
    if (dim) dims.push(dim);
    else constants[path] = onlyValue(distribution);
  }
  return { dims, constants, order: parameters.map((p) => p.path) };
}

/** Categorical choices are matched by their JSON form, so 0.1 from the DB matches the choice 0.1 and {type: cosine} matches itself. */
function choiceKey(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

function onlyValue(distribution: Distribution): unknown {
  return distribution.type === 'categorical' ? distribution.choices[0] : distribution.low;
}

/** The top of a stepped range: the last point of low + k·step that is ≤ high. */
function topOfGrid(low: number, high: number, step: number): number {
  return low + Math.floor((high - low) / step + 1e-9) * step;
}

function tpeDim(path: string, distribution: Distribution): TpeDim | undefined {
  if (distribution.type === 'categorical') {
    const { choices } = distribution;
    if (choices.length < 2) return undefined;
    const index = new Map<string, number>();
    choices.forEach((c, i) => {
      if (!index.has(choiceKey(c))) index.set(choiceKey(c), i);
    });
    return {
      path,
      kernel: { kind: 'categorical', size: choices.length },
      encode: (value) => index.get(choiceKey(value)),
      decode: (x) => choices[Math.min(choices.length - 1, Math.max(0, Math.round(x)))],
    };
  }

  const { low, log } = distribution;
  const step = distribution.step;
  const high = step === undefined ? distribution.high : topOfGrid(low, distribution.high, step);
  if (!(high > low)) return undefined;
  const isInt = distribution.type === 'int';
  const inRange = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= low - 1e-9 * Math.abs(low) && v <= high + 1e-9 * Math.abs(high);
  const snap = (value: number): number => {
    if (step === undefined) return Math.min(high, Math.max(low, value));
    const snapped = Math.min(high, Math.max(low, low + Math.round((value - low) / step) * step));
    return isInt ? Math.round(snapped) : roundToStep(snapped, step);
  };

  if (!log) {
    return {
      path,
      kernel: step === undefined ? { kind: 'numeric', low, high } : { kind: 'numeric', low, high, step },
      encode: (v) => (inRange(v) ? v : undefined),
      decode: snap,
    };
  }
  // Log scale: kernels are continuous in log space. A stepped log range covers each grid point's
  // bin, [v − step/2, v + step/2], and a drawn point snaps to the nearest grid value (as Optuna does).
  const lowEdge = step === undefined ? low : low - step / 2 > 0 ? low - step / 2 : low / 2;
  const highEdge = step === undefined ? high : high + step / 2;
  return {
    path,
    kernel: { kind: 'numeric', low: Math.log(lowEdge), high: Math.log(highEdge) },
    encode: (v) => (inRange(v) && v > 0 ? Math.log(v) : undefined),
    decode: (x) => snap(Math.exp(x)),
  };
}
