// The sweep file's search fields from issue 4: method tpe (and W&B's bayes), the tpe block,
// early_terminate (median, asha, hyperband) and metric.target.
import { describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/errors.js';
import { DEFAULT_TPE_OPTIONS } from '../../src/search/tpe.js';
import { VALID_SWEEP, writeSweep } from '../helpers/sweep-text.js';
import { validateCommand } from '../../src/commands/validate.js';

/** VALID_SWEEP as a random sweep of `steps` steps with `extra` appended (it starts on line 24). */
function sweep(extra: string, options: { method?: string; steps?: number; runCap?: boolean } = {}): string {
  const method = options.method ?? 'random';
  const head = VALID_SWEEP.replace('method: grid', `method: ${method}`).replace('  steps: 10', `  steps: ${options.steps ?? 2000}`);
  return `${head}${options.runCap === false ? '' : 'run_cap: 20\n'}${extra}`;
}

function load(text: string) {
  return loadSweepText('sweep.yaml', text).spec;
}

function errorOf(text: string): string {
  try {
    loadSweepText('sweep.yaml', text);
  } catch (error) {
    if (error instanceof SpecError) return error.message;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('method tpe', () => {
  it('takes the defaults without a tpe block', () => {
    const spec = load(sweep('', { method: 'tpe' }));
    expect(spec.method).toBe('tpe');
    expect(spec.tpe).toEqual(DEFAULT_TPE_OPTIONS);
    expect(spec.trialCount).toBe(20);
  });

  it("accepts W&B's name bayes as tpe", () => {
    const spec = load(sweep('', { method: 'bayes' }));
    expect(spec.method).toBe('tpe');
    expect(spec.tpe).toEqual(DEFAULT_TPE_OPTIONS);
  });

  it('reads the tpe block, defaults for what it leaves out', () => {
    const spec = load(sweep('tpe: { startup_trials: 5, multivariate: false, gamma: 0.25 }\n', { method: 'tpe' }));
    expect(spec.tpe).toEqual({ ...DEFAULT_TPE_OPTIONS, startupTrials: 5, multivariate: false, gamma: 0.25 });
  });

  it('needs run_cap, as random does', () => {
    expect(errorOf(sweep('', { method: 'tpe', runCap: false }))).toBe('sweep.yaml:1:1: run_cap: method tpe needs run_cap: the number of trials to run');
  });

  it('names a misspelt tpe option, where it is, and suggests the closest', () => {
    expect(errorOf(sweep('tpe: { candiates: 48 }\n', { method: 'tpe' }))).toBe(
      'sweep.yaml:24:8: tpe.candiates: unknown key "candiates" (did you mean "candidates"?); expected one of: startup_trials, candidates, multivariate, constant_liar, gamma',
    );
  });

  it('checks tpe option values', () => {
    expect(errorOf(sweep('tpe: { gamma: 0 }\n', { method: 'tpe' }))).toBe('sweep.yaml:24:15: tpe.gamma: expected a number > 0, got 0');
    expect(errorOf(sweep('tpe: { multivariate: yes please }\n', { method: 'tpe' }))).toMatch(/^sweep\.yaml:24:22: tpe\.multivariate: expected boolean, got "yes please"/);
  });

  it('refuses a tpe block for another method', () => {
    expect(errorOf(sweep('tpe: { candidates: 48 }\n'))).toBe("sweep.yaml:24:1: tpe: these are options of method tpe (or bayes); this sweep's method is random");
  });

  it('suggests tpe for a misspelt method', () => {
    expect(errorOf(sweep('', { method: 'tep' }))).toBe('sweep.yaml:2:9: method: expected one of grid, random, tpe, bayes; got "tep" (did you mean "tpe"?)');
  });

  it('leaves grid and random sweeps without tpe options, so their stored spec is unchanged', () => {
    const spec = load(sweep(''));
    expect('tpe' in spec).toBe(false);
    expect('earlyTerminate' in spec).toBe(false);
    expect('target' in spec.metric).toBe(false);
  });
});

describe('early_terminate', () => {
  it('median: defaults as Optuna\'s MedianPruner', () => {
    expect(load(sweep('early_terminate: { type: median }\n')).earlyTerminate).toEqual({ type: 'median', startupTrials: 5, warmupSteps: 0, interval: 1, minTrials: 1 });
    expect(load(sweep('early_terminate: { type: median, startup_trials: 3, warmup_steps: 400, interval: 200, min_trials: 2 }\n')).earlyTerminate).toEqual({
      type: 'median',
      startupTrials: 3,
      warmupSteps: 400,
      interval: 200,
      minTrials: 2,
    });
  });

  it('asha: min_steps, eta 3 by default; W&B\'s min_iter means min_steps', () => {
    expect(load(sweep('early_terminate: { type: asha, min_steps: 100 }\n')).earlyTerminate).toEqual({ type: 'asha', minSteps: 100, eta: 3 });
    expect(load(sweep('early_terminate: { type: asha, min_iter: 50, eta: 2 }\n')).earlyTerminate).toEqual({ type: 'asha', minSteps: 50, eta: 2 });
  });

  it('hyperband: as many brackets as fit below training.steps unless given (W&B\'s s means brackets)', () => {
    expect(load(sweep('early_terminate: { type: hyperband, min_steps: 100 }\n')).earlyTerminate).toEqual({ type: 'hyperband', minSteps: 100, eta: 3, brackets: 3 });
    expect(load(sweep('early_terminate: { type: hyperband, min_iter: 100, s: 2 }\n')).earlyTerminate).toEqual({ type: 'hyperband', minSteps: 100, eta: 3, brackets: 2 });
    // a swept training.steps: its largest value counts
    const swept = sweep('early_terminate: { type: hyperband, min_steps: 100 }\n', { steps: 500 }).replace(
      '  training.lr: { values: [0.01, 0.1] }',
      '  training.lr: { values: [0.01, 0.1] }\n  training.steps: { values: [500, 2700] }',
    );
    expect(load(swept).earlyTerminate).toEqual({ type: 'hyperband', minSteps: 100, eta: 3, brackets: 4 });
  });

  it('is valid for grid sweeps too', () => {
    const text = VALID_SWEEP.replace('  steps: 10', '  steps: 2000') + 'early_terminate: { type: asha, min_steps: 100 }\n';
    expect(load(text).earlyTerminate).toEqual({ type: 'asha', minSteps: 100, eta: 3 });
  });

  it('names a misspelt key or type and suggests the closest', () => {
    expect(errorOf(sweep('early_terminate: { type: asha, min_step: 100 }\n'))).toBe(
      'sweep.yaml:24:32: early_terminate.min_step: unknown key "min_step" (did you mean "min_steps"?); expected one of: type, startup_trials, warmup_steps, interval, min_trials, min_steps, min_iter, eta, brackets, s',
    );
    expect(errorOf(sweep('early_terminate: { type: ashaa, min_steps: 100 }\n'))).toBe(
      'sweep.yaml:24:26: early_terminate.type: expected one of median, asha, hyperband; got "ashaa" (did you mean "asha"?)',
    );
  });

  it('says which keys a type takes', () => {
    expect(errorOf(sweep('early_terminate: { type: median, min_steps: 100 }\n'))).toBe(
      'sweep.yaml:24:34: early_terminate.min_steps: "min_steps" applies to type asha and hyperband, not median; type median takes: type, startup_trials, warmup_steps, interval, min_trials',
    );
    expect(errorOf(sweep('early_terminate: { type: asha, min_steps: 100, brackets: 2 }\n'))).toMatch(
      /^sweep\.yaml:24:48: early_terminate\.brackets: "brackets" applies to type hyperband, not asha/,
    );
  });

  it('needs min_steps for asha and hyperband, once, below training.steps', () => {
    expect(errorOf(sweep('early_terminate: { type: asha }\n'))).toBe(
      "sweep.yaml:24:1: early_terminate: type asha needs min_steps: the steps every trial trains before its first rung (W&B's min_iter)",
    );
    expect(errorOf(sweep('early_terminate: { type: asha, min_steps: 100, min_iter: 100 }\n'))).toBe(
      'sweep.yaml:24:48: early_terminate.min_iter: give min_steps or its W&B name min_iter, not both',
    );
    expect(errorOf(sweep('early_terminate: { type: asha, min_steps: 2000 }\n'))).toBe(
      'sweep.yaml:24:43: early_terminate.min_steps: 2000 leaves no rung below training.steps (2000): no trial would ever be pruned',
    );
    expect(errorOf(sweep('early_terminate: { type: asha, min_steps: 100, eta: 1 }\n'))).toBe('sweep.yaml:24:53: early_terminate.eta: expected a number ≥ 2, got 1');
  });

  it('refuses more hyperband brackets than fit', () => {
    expect(errorOf(sweep('early_terminate: { type: hyperband, min_steps: 100, brackets: 4 }\n'))).toBe(
      'sweep.yaml:24:63: early_terminate.brackets: at most 3 brackets fit: bracket 3 would start pruning at min_steps·eta^3 = 2700, past training.steps (2000)',
    );
  });
});

describe('metric.target', () => {
  it('is read into the spec', () => {
    expect(load(sweep('').replace('metric: { name: rel_l1, goal: minimize }', 'metric: { name: rel_l1, goal: minimize, target: 0.01 }')).metric).toEqual({
      name: 'rel_l1',
      goal: 'minimize',
      target: 0.01,
    });
  });

  it('must be a number', () => {
    expect(errorOf(sweep('').replace('metric: { name: rel_l1, goal: minimize }', 'metric: { name: rel_l1, goal: minimize, target: low }'))).toBe(
      'sweep.yaml:3:49: metric.target: expected a number, got "low"',
    );
    expect(errorOf(sweep('').replace('metric: { name: rel_l1, goal: minimize }', 'metric: { name: rel_l1, goal: minimize, targt: 1 }'))).toMatch(
      /^sweep\.yaml:3:41: metric\.targt: unknown key "targt" \(did you mean "target"\?\)/,
    );
  });
});

describe('sweepdeck validate', () => {
  const validate = async (text: string, json = false) => {
    const lines: string[] = [];
    await validateCommand(writeSweep(text), { json }, (t) => lines.push(t));
    return lines.join('\n');
  };

  it('describes TPE, the pruner and the target', async () => {
    const text = await validate(
      sweep('early_terminate: { type: hyperband, min_iter: 100 }\n', { method: 'bayes' }).replace(
        'metric: { name: rel_l1, goal: minimize }',
        'metric: { name: rel_l1, goal: minimize, target: 0.01 }',
      ),
    );
    expect(text).toContain('sweep tiny: tpe search, 20 trials, minimize rel_l1, seed 0');
    expect(text).toContain(
      "tpe: 10 random start-up trials, then the best of 24 candidates drawn from a multivariate Parzen estimator of the best 10% of finished trials (at most 25); running trials count as bad ones (constant liar) (method bayes, W&B's name, is TPE here)",
    );
    expect(text).toContain('  bracket 0 (9 of every 17 trials): rungs at steps 100, 300, 900 of 2000');
    expect(text).toContain('  bracket 2 (3 of every 17 trials): rung at step 900 of 2000');
    expect(text).toContain('target: the sweep may stop once a complete trial reaches rel_l1 ≤ 0.01');
    expect(text).toContain("first 5 trials (TPE's start-up trials are random; later ones depend on the results):");
  });

  it('describes median and asha pruning', async () => {
    expect(await validate(sweep('early_terminate: { type: asha, min_steps: 200 }\n'))).toContain(
      'early termination: asha (asynchronous successive halving), eta 3: rungs at steps 200, 600, 1800 of 2000; at each, a trial goes on only if it is in the top 1/3 of the values recorded there so far',
    );
    expect(await validate(sweep('early_terminate: { type: median, warmup_steps: 400, interval: 200 }\n'))).toContain(
      "early termination: median (Optuna's MedianPruner): once 5 trials are complete, a trial whose best value so far is worse than the median of the complete trials at the same step is pruned (from step 400, once every 200 steps, with at least 1 value to compare)",
    );
  });

  it('puts tpe and early_terminate in --json', async () => {
    const plan = JSON.parse(await validate(sweep('early_terminate: { type: asha, min_steps: 200 }\n', { method: 'tpe' }), true));
    expect(plan.method).toBe('tpe');
    expect(plan.tpe).toEqual(DEFAULT_TPE_OPTIONS);
    expect(plan.early_terminate).toEqual({ type: 'asha', minSteps: 200, eta: 3 });
  });
});
