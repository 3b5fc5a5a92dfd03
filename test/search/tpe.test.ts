import { describe, expect, it } from 'vitest';
import { makePlanner, type TrialRecord } from '../../src/search/planner.js';
import { DEFAULT_TPE_OPTIONS, belowCount, splitTrials, tpeOptionsFromFile, type TpeOptions } from '../../src/search/tpe.js';
import { Rng } from '../../src/rng.js';
import type { Params } from '../../src/search/space.js';
import { SPACE, objective, simulate } from './tpe-objective.js';

/** The fixed seed set of the statistical tests. */
const SEEDS = Array.from({ length: 20 }, (_, i) => i);
const BUDGET = 60;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One-sided exact sign test: P(X ≥ wins) for X ~ Binomial(n, 1/2). */
function signTestP(wins: number, n: number): number {
  let p = 0;
  let choose = 1;
  for (let k = 0; k <= n; k++) {
    if (k >= wins) p += choose / 2 ** n;
    choose = (choose * (n - k)) / (k + 1);
  }
  return p;
}

/** Best values of TPE and random search over the seed set, and how often TPE found the better one. */
function compare(options: { workers?: number; tpe?: TpeOptions; goal?: 'minimize' | 'maximize'; f?: (p: Params) => number }) {
  const tpe = SEEDS.map((seed) => simulate({ ...options, method: 'tpe', seed, trials: BUDGET }).best);
  const random = SEEDS.map((seed) => simulate({ ...options, method: 'random', seed, trials: BUDGET }).best);
  const sign = options.goal === 'maximize' ? -1 : 1;
  const wins = SEEDS.filter((_, i) => sign * tpe[i]! < sign * random[i]!).length;
  return { tpe: median(tpe), random: median(random), wins, p: signTestP(wins, SEEDS.length) };
}

describe('TPE against random search (20 fixed seeds, 60 trials each, mixed space with interactions)', () => {
  // The level: a one-sided sign test over the 20 seeds at p < 0.01 (TPE better on ≥ 16 of 20).
  it('finds better trials one at a time (1 worker)', () => {
    const result = compare({});
    expect(result.tpe).toBeLessThan(result.random);
    expect(result.p).toBeLessThan(0.01);
  });

  it('finds better trials with 4 workers asking while others run (constant liar)', () => {
    const result = compare({ workers: 4 });
    expect(result.tpe).toBeLessThan(result.random);
    expect(result.p).toBeLessThan(0.01);
  });

  it('finds better trials with independent (univariate) estimators', () => {
    const result = compare({ tpe: { ...DEFAULT_TPE_OPTIONS, multivariate: false } });
    expect(result.tpe).toBeLessThan(result.random);
    expect(result.p).toBeLessThan(0.01);
  });

  it('maximizes when the goal is maximize', () => {
    const result = compare({ goal: 'maximize', f: (p) => -objective(p) });
    expect(result.tpe).toBeGreaterThan(result.random);
    expect(result.p).toBeLessThan(0.01);
    // and minimizing a metric that is to be maximized does worse than random: the goal is really read
    const wrong = SEEDS.map((seed) => simulate({ method: 'tpe', seed, trials: BUDGET, goal: 'minimize', f: (p) => -objective(p) }).history);
    const bestOfWrong = median(wrong.map((h) => Math.max(...h.map((t) => t.value!))));
    expect(bestOfWrong).toBeLessThan(result.random);
  });
});

describe('TPE proposals', () => {
  const planner = (options: Partial<TpeOptions> = {}, seed = 7) =>
    makePlanner({ method: 'tpe', parameters: SPACE, trialCount: 100, seed, tpe: { ...DEFAULT_TPE_OPTIONS, ...options }, metric: { goal: 'minimize' } });
  const finishedHistory = (n: number, seed = 3): TrialRecord[] =>
    simulate({ method: 'random', seed, trials: n }).history.map((t) => ({ ...t }));

  it('are deterministic: the same number and history give the same parameters, in any order', () => {
    const history = finishedHistory(30);
    const a = planner().ask(30, history);
    expect(planner().ask(30, history)).toEqual(a);
    expect(planner().ask(30, [...history].reverse())).toEqual(a);
    expect(planner().ask(31, history)).not.toEqual(a);
    expect(planner({}, 8).ask(30, history)).not.toEqual(a);
  });

  it('are random start-up trials until startup_trials trials have finished, whatever their values', () => {
    const history = finishedHistory(9);
    const flipped = history.map((t) => ({ ...t, value: -t.value! }));
    expect(planner().ask(9, history)).toEqual(planner().ask(9, flipped));
    // running trials do not count as finished
    const withRunning: TrialRecord[] = [...history, { number: 9, params: history[0]!.params, state: 'running', value: null, step: null }];
    const negated = withRunning.map((t) => (t.value === null ? t : { ...t, value: -t.value }));
    expect(planner().ask(10, withRunning)).toEqual(planner().ask(10, negated));
    // …and depend on the values once enough have finished
    const ten = finishedHistory(10);
    expect(planner().ask(10, ten)).not.toEqual(planner().ask(10, ten.map((t) => ({ ...t, value: -t.value! }))));
  });

  it('move away from running trials with constant liar, and ignore them without it', () => {
    const history = finishedHistory(40);
    const alone = planner().ask(44, history);
    // Trials 40–43 are running, and all of them train exactly what trial 44 would get on its own.
    const running: TrialRecord[] = [40, 41, 42, 43].map((number) => ({ number, params: alone, state: 'running', value: null, step: null }));
    expect(planner().ask(44, [...history, ...running])).not.toEqual(alone);
    const honest = planner({ constantLiar: false });
    expect(honest.ask(44, [...history, ...running])).toEqual(honest.ask(44, history));
  });

  it('ignore failed trials', () => {
    const history = finishedHistory(30);
    const failed: TrialRecord[] = [{ number: 31, params: history[5]!.params, state: 'failed', value: null, step: 40 }];
    expect(planner().ask(32, [...history, ...failed])).toEqual(planner().ask(32, history));
  });

  it('are always valid values of the distributions: in bounds, on the step, among the choices', () => {
    for (const seed of [1, 2, 3]) {
      for (const trial of simulate({ method: 'tpe', seed, trials: 40, workers: 3 }).history) {
        const p = trial.params;
        expect(['net', 'exp', 'scaled', 'affine']).toContain(p['model.head']);
        expect(['rel', 'log']).toContain(p['training.loss']);
        expect(p['training.lr']).toBeGreaterThanOrEqual(1e-5);
        expect(p['training.lr']).toBeLessThanOrEqual(1e-1);
        expect(Number.isInteger(p['model.width'])).toBe(true);
        expect(p['model.width']).toBeGreaterThanOrEqual(4);
        expect(p['model.width']).toBeLessThanOrEqual(256);
        expect([0, 1, 2, 3, 4]).toContain(p['model.depth']);
        expect(Object.keys(p)).toEqual(SPACE.map((s) => s.path));
      }
    }
  });

  it('snap stepped floats and ints to their grid, including log-scale ones', () => {
    const stepped = makePlanner({
      method: 'tpe',
      parameters: [
        { path: 'training.lr', distribution: { type: 'float', low: 0.1, high: 0.9, log: false, step: 0.2 } },
        { path: 'model.width', distribution: { type: 'int', low: 8, high: 250, log: true, step: 8 } },
        { path: 'training.grad_clip', distribution: { type: 'float', low: 0.5, high: 8, log: true, step: 0.5 } },
      ],
      trialCount: 50,
      seed: 1,
      tpe: { ...DEFAULT_TPE_OPTIONS, startupTrials: 5 },
    });
    const rng = new Rng(4);
    const history: TrialRecord[] = [];
    for (let n = 0; n < 40; n++) {
      const p = stepped.ask(n, history);
      expect([0.1, 0.3, 0.5, 0.7, 0.9]).toContain(p['training.lr']);
      expect((p['model.width'] as number) % 8).toBe(0);
      expect(p['model.width']).toBeLessThanOrEqual(248);
      expect(((p['training.grad_clip'] as number) * 2) % 1).toBeCloseTo(0, 9);
      expect(p['training.grad_clip']).toBeGreaterThanOrEqual(0.5);
      expect(p['training.grad_clip']).toBeLessThanOrEqual(8);
      history.push({ number: n, params: p, state: 'complete', value: Math.abs((p['training.lr'] as number) - 0.3) + rng.next() * 0.01, step: 1 });
    }
    // and it learnt that lr = 0.3 is best: most TPE-phase proposals are there
    const late = history.slice(20).filter((t) => t.params['training.lr'] === 0.3).length;
    expect(late).toBeGreaterThan(10);
  });

  it('give a constant parameter its one value and still learn the others', () => {
    const p = makePlanner({
      method: 'tpe',
      parameters: [
        { path: 'features', distribution: { type: 'categorical', choices: ['log'] } },
        { path: 'training.lr', distribution: { type: 'float', low: 0, high: 1, log: false } },
      ],
      trialCount: 30,
      seed: 2,
    });
    const history: TrialRecord[] = [];
    for (let n = 0; n < 30; n++) {
      const params = p.ask(n, history);
      expect(params.features).toBe('log');
      history.push({ number: n, params, state: 'complete', value: Math.abs((params['training.lr'] as number) - 0.8), step: 1 });
    }
    expect(median(history.slice(15).map((t) => t.value!))).toBeLessThan(0.1);
  });
});

describe('splitting the history into good and bad trials', () => {
  const t = (number: number, state: TrialRecord['state'], value: number | null, step: number | null = 100): TrialRecord => ({ number, params: {}, state, value, step });

  it('takes γ of the finished trials, at most 25', () => {
    expect(belowCount(10, 0.1)).toBe(1);
    expect(belowCount(11, 0.1)).toBe(2);
    expect(belowCount(100, 0.1)).toBe(10);
    expect(belowCount(1000, 0.1)).toBe(25);
    expect(belowCount(20, 0.25)).toBe(5);
  });

  it('ranks complete and pruned trials together by their last value, complete ones first among equals', () => {
    const trials = [t(0, 'complete', 3), t(1, 'pruned', 0.1, 100), t(2, 'complete', 1), t(3, 'pruned', 5, 300), t(4, 'pruned', 4, 300), t(5, 'running', null, null), t(6, 'failed', null)];
    const numbers = (rs: TrialRecord[]) => rs.map((r) => r.number);
    // minimize: 1 (0.1), 2 (1), 0 (3), 4 (4), 3 (5)
    expect(numbers(splitTrials(trials, 1, 'minimize', true).below)).toEqual([1]);
    expect(numbers(splitTrials(trials, 3, 'minimize', true).below)).toEqual([0, 1, 2]);
    const four = splitTrials(trials, 4, 'minimize', true);
    expect(numbers(four.below)).toEqual([0, 1, 2, 4]);
    expect(numbers(four.above)).toEqual([3, 5]);
    expect(numbers(splitTrials(trials, 4, 'minimize', false).above)).toEqual([3]);
    // maximize: the larger value is better, for complete and pruned trials alike
    expect(numbers(splitTrials(trials, 1, 'maximize', true).below)).toEqual([3]);
    expect(numbers(splitTrials(trials, 3, 'maximize', true).below)).toEqual([0, 3, 4]);
    // a complete trial beats a pruned one with the same value
    const tied = [t(0, 'pruned', 2, 100), t(1, 'complete', 2), t(2, 'pruned', 7, 100)];
    expect(numbers(splitTrials(tied, 1, 'minimize', false).below)).toEqual([1]);
  });
});

describe('the tpe block of a sweep file', () => {
  it('maps to options, with the defaults when absent', () => {
    expect(tpeOptionsFromFile(undefined)).toEqual(DEFAULT_TPE_OPTIONS);
    expect(tpeOptionsFromFile({ startup_trials: 4, candidates: 48, multivariate: false, constant_liar: false, gamma: 0.2 })).toEqual({
      startupTrials: 4,
      candidates: 48,
      multivariate: false,
      constantLiar: false,
      gamma: 0.2,
    });
  });
});
