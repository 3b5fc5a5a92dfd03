// The sweep file's `early_terminate:` block, normalised: which pruner, with every default filled
// in and W&B's names (min_iter, s) read as ours (min_steps, brackets).
import type { Distribution } from '../search/space.js';

export type EarlyTerminateSpec =
  | { type: 'median'; startupTrials: number; warmupSteps: number; interval: number; minTrials: number }
  | { type: 'asha'; minSteps: number; eta: number }
  | { type: 'hyperband'; minSteps: number; eta: number; brackets: number };

export const MEDIAN_DEFAULTS = { startupTrials: 5, warmupSteps: 0, interval: 1, minTrials: 1 } as const;
export const DEFAULT_ETA = 3;

/** The block as the schema parsed it (snake_case, all optional but type). */
export interface EarlyTerminateBlock {
  type: EarlyTerminateSpec['type'];
  startup_trials?: number | undefined;
  warmup_steps?: number | undefined;
  interval?: number | undefined;
  min_trials?: number | undefined;
  min_steps?: number | undefined;
  min_iter?: number | undefined;
  eta?: number | undefined;
  brackets?: number | undefined;
  s?: number | undefined;
}

type Fail = (path: readonly (string | number)[], message: string, opts?: { key?: boolean }) => never;

const KEYS: Record<EarlyTerminateSpec['type'], readonly (keyof EarlyTerminateBlock)[]> = {
  median: ['type', 'startup_trials', 'warmup_steps', 'interval', 'min_trials'],
  asha: ['type', 'min_steps', 'min_iter', 'eta'],
  hyperband: ['type', 'min_steps', 'min_iter', 'eta', 'brackets', 's'],
};

/**
 * The most steps a trial of the sweep trains (training.steps, or the largest value it is swept
 * over), which rungs and brackets are checked against. `--steps` is not considered on purpose:
 * a short test run of a sweep file must not turn its pruner into an error.
 */
export function sweepMaxSteps(trainingSteps: number, stepsParameter: Distribution | undefined): number {
  if (!stepsParameter) return trainingSteps;
  if (stepsParameter.type === 'categorical') {
    const numbers = stepsParameter.choices.filter((c): c is number => typeof c === 'number');
    return numbers.length ? Math.max(...numbers) : trainingSteps;
  }
  return stepsParameter.high;
}

/** How many Hyperband brackets fit: bracket s starts pruning at min_steps·eta^s, which must not pass maxSteps. */
export function maxBrackets(minSteps: number, eta: number, maxSteps: number): number {
  let brackets = 0;
  for (let rung = minSteps; rung <= maxSteps; rung *= eta) brackets++;
  return Math.max(1, brackets);
}

export function readEarlyTerminate(block: EarlyTerminateBlock, maxSteps: number, fail: Fail): EarlyTerminateSpec {
  const at = (key: string) => ['early_terminate', key];
  for (const key of Object.keys(block) as (keyof EarlyTerminateBlock)[]) {
    if (block[key] === undefined || KEYS[block.type].includes(key)) continue;
    const takers = (Object.keys(KEYS) as EarlyTerminateSpec['type'][]).filter((t) => KEYS[t].includes(key));
    fail(at(key), `"${key}" applies to type ${takers.join(' and ')}, not ${block.type}; type ${block.type} takes: ${KEYS[block.type].join(', ')}`, { key: true });
  }

  if (block.type === 'median') {
    return {
      type: 'median',
      startupTrials: block.startup_trials ?? MEDIAN_DEFAULTS.startupTrials,
      warmupSteps: block.warmup_steps ?? MEDIAN_DEFAULTS.warmupSteps,
      interval: block.interval ?? MEDIAN_DEFAULTS.interval,
      minTrials: block.min_trials ?? MEDIAN_DEFAULTS.minTrials,
    };
  }

  if (block.min_steps !== undefined && block.min_iter !== undefined) {
    fail(at('min_iter'), 'give min_steps or its W&B name min_iter, not both', { key: true });
  }
  const minSteps = block.min_steps ?? block.min_iter;
  if (minSteps === undefined) {
    fail(['early_terminate'], `type ${block.type} needs min_steps: the steps every trial trains before its first rung (W&B's min_iter)`, { key: true });
  }
  const minKey = block.min_steps !== undefined ? 'min_steps' : 'min_iter';
  if (minSteps! >= maxSteps) {
    fail(at(minKey), `${minSteps} leaves no rung below training.steps (${maxSteps}): no trial would ever be pruned`);
  }
  const eta = block.eta ?? DEFAULT_ETA;
  if (block.type === 'asha') return { type: 'asha', minSteps: minSteps!, eta };

  if (block.brackets !== undefined && block.s !== undefined) fail(at('s'), 'give brackets or its W&B name s, not both', { key: true });
  const fit = maxBrackets(minSteps!, eta, maxSteps);
  const brackets = block.brackets ?? block.s ?? fit;
  if (brackets > fit) {
    const key = block.brackets !== undefined ? 'brackets' : 's';
    fail(at(key), `at most ${fit} bracket${fit === 1 ? '' : 's'} fit: bracket ${fit} would start pruning at min_steps·eta^${fit} = ${minSteps! * eta ** fit}, past training.steps (${maxSteps})`);
  }
  return { type: 'hyperband', minSteps: minSteps!, eta, brackets };
}
